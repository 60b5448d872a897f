//! How a task maps to a row, shared by both SQL backends.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ingest_domain::{IllegalTransition, Task, TaskId, TaskProgress, TaskStatus};

use crate::{Result, StorageError};

/// The columns every backend selects, in this order.
pub(crate) struct TaskRow {
    pub id: String,
    pub status: String,
    pub object_key: String,
    pub attempts: i32,
    pub body: String,
    /// The running stage's progress (JSON), if published.
    pub progress: Option<String>,
}

/// Decodes a row selected with the dialect's columns (see `sql.rs`).
pub(crate) fn decode<R>(row: &R) -> Result<Task>
where
    R: sqlx::Row,
    &'static str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let get = |e| StorageError::db("decode task row")(e);
    TaskRow {
        id: row.try_get("id").map_err(get)?,
        status: row.try_get("status").map_err(get)?,
        object_key: row.try_get("object_key").map_err(get)?,
        attempts: row.try_get("attempts").map_err(get)?,
        body: row.try_get("body").map_err(get)?,
        progress: row.try_get("progress").map_err(get)?,
    }
    .into_task()
}

impl TaskRow {
    pub fn into_task(self) -> Result<Task> {
        let corrupt = |reason: String| StorageError::CorruptTask {
            id: self.id.clone(),
            reason,
        };
        // The status column is authoritative (cancel and claim change it
        // alone); it enters the task the way every other field does, through
        // its serialized form, since only transitions may set it in code.
        let status = self
            .status
            .parse::<TaskStatus>()
            .map_err(|e| corrupt(e.to_string()))?;
        let mut body: serde_json::Value =
            serde_json::from_str(&self.body).map_err(|e| corrupt(e.to_string()))?;
        body.as_object_mut()
            .ok_or_else(|| corrupt("the body is not a JSON object".into()))?
            .insert("status".into(), status.as_str().into());
        let mut task: Task = serde_json::from_value(body).map_err(|e| corrupt(e.to_string()))?;
        task.object_key = self.object_key;
        task.attempts = u32::try_from(self.attempts).unwrap_or(0);
        // Shown only while the task is in the stage it belongs to; progress
        // that cannot be read is left out rather than failing the task.
        task.progress = self
            .progress
            .as_deref()
            .and_then(|json| serde_json::from_str::<TaskProgress>(json).ok())
            .filter(|p| p.status() == status);
        Ok(task)
    }
}

/// The body stored for a task: everything but its progress, which has a
/// column of its own (written only by `save_progress`).
pub(crate) fn body_of(task: &Task) -> Result<String> {
    let mut without_progress;
    let task = if task.progress.is_some() {
        without_progress = task.clone();
        without_progress.progress = None;
        &without_progress
    } else {
        task
    };
    serde_json::to_string(task).map_err(|e| StorageError::CorruptTask {
        id: task.task_id.to_string(),
        reason: e.to_string(),
    })
}

pub(crate) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(crate) fn lease_until(lease: Duration) -> i64 {
    millis(Utc::now()) + i64::try_from(lease.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Newest-first page bounds, with a sane default and ceiling.
pub(crate) fn page_bounds(limit: u32, offset: u32) -> (i64, i64) {
    let limit = if limit == 0 { 50 } else { limit.min(500) };
    (i64::from(limit), i64::from(offset))
}

/// `('a', 'b', …)`: a status list for SQL, derived from `TaskStatus`.
pub(crate) fn sql_list(statuses: &[TaskStatus]) -> String {
    let quoted: Vec<String> = statuses.iter().map(|s| format!("'{s}'")).collect();
    format!("({})", quoted.join(", "))
}

/// A change to a task no worker holds (cancel, requeue): one of the task's
/// own transitions, which refuse what is illegal, made by the named token
/// (`None` when the API is open).
pub(crate) type Transition =
    fn(&mut Task, DateTime<Utc>, Option<&str>) -> Result<(), IllegalTransition>;

/// Cancels the task, recording who asked.
pub(crate) fn cancel_by(
    task: &mut Task,
    now: DateTime<Utc>,
    by: Option<&str>,
) -> Result<(), IllegalTransition> {
    task.cancel(now)?;
    task.cancelled_by = by.map(str::to_owned);
    Ok(())
}

/// Confirms a waiting replace (queued again), recording who agreed.
pub(crate) fn confirm_by(
    task: &mut Task,
    now: DateTime<Utc>,
    by: Option<&str>,
) -> Result<(), IllegalTransition> {
    task.confirm(now)?;
    task.confirmed_by = by.map(str::to_owned);
    Ok(())
}

/// Queues the task again, recording who asked.
pub(crate) fn requeue_by(
    task: &mut Task,
    now: DateTime<Utc>,
    by: Option<&str>,
) -> Result<(), IllegalTransition> {
    task.requeue(now)?;
    task.retried_by = by.map(str::to_owned);
    Ok(())
}

pub(crate) fn progress_of(id: TaskId, progress: &TaskProgress) -> Result<String> {
    serde_json::to_string(progress).map_err(|e| StorageError::CorruptTask {
        id: id.to_string(),
        reason: e.to_string(),
    })
}

pub(crate) fn attempts_of(task: &Task) -> i32 {
    i32::try_from(task.attempts).unwrap_or(i32::MAX)
}
