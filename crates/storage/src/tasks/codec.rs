//! How a task maps to a row, shared by both SQL backends.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ingest_domain::{Task, TaskStatus};

use crate::{Result, StorageError};

/// The columns every backend selects, in this order.
pub(crate) struct TaskRow {
    pub id: String,
    pub status: String,
    pub object_key: String,
    pub attempts: i32,
    pub body: String,
}

/// Decodes a row selected with the dialect's columns (see `sql.rs`).
pub(crate) fn decode<R>(row: &R) -> Result<Task>
where
    R: sqlx::Row,
    &'static str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i32: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let get = |e| StorageError::db("decode task row")(e);
    TaskRow {
        id: row.try_get("id").map_err(get)?,
        status: row.try_get("status").map_err(get)?,
        object_key: row.try_get("object_key").map_err(get)?,
        attempts: row.try_get("attempts").map_err(get)?,
        body: row.try_get("body").map_err(get)?,
    }
    .into_task()
}

impl TaskRow {
    pub fn into_task(self) -> Result<Task> {
        let corrupt = |reason: String| StorageError::CorruptTask {
            id: self.id.clone(),
            reason,
        };
        let mut task: Task =
            serde_json::from_str(&self.body).map_err(|e| corrupt(e.to_string()))?;
        // The columns are authoritative: cancel and claim change them alone.
        task.status = self
            .status
            .parse::<TaskStatus>()
            .map_err(|e| corrupt(e.to_string()))?;
        task.object_key = self.object_key;
        task.attempts = u32::try_from(self.attempts).unwrap_or(0);
        Ok(task)
    }
}

pub(crate) fn body_of(task: &Task) -> Result<String> {
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

/// Unfinished statuses, the ones a worker may claim.
pub(crate) const CLAIMABLE: &str = "('queued', 'validating', 'ingesting')";
/// Finished statuses, which never change again.
pub(crate) const TERMINAL: &str = "('succeeded', 'failed', 'cancelled')";

/// A change to a task no worker holds, made by the named token (`None` when
/// the API is open): the new task, or `None` to leave it.
pub(crate) type Transition = fn(Task, Option<&str>) -> Option<Task>;

/// Cancels an unfinished task, closing its open stage.
pub(crate) fn cancelled(mut task: Task, by: Option<&str>) -> Option<Task> {
    if task.status.is_terminal() {
        return None;
    }
    task.enter_stage(None, Utc::now());
    task.status = TaskStatus::Cancelled;
    task.cancelled_by = by.map(str::to_owned);
    Some(task)
}

/// Queues a failed or cancelled task again.
pub(crate) fn requeued(mut task: Task, by: Option<&str>) -> Option<Task> {
    if !task.can_retry() {
        return None;
    }
    task.requeue(Utc::now());
    task.retried_by = by.map(str::to_owned);
    Some(task)
}

pub(crate) fn attempts_of(task: &Task) -> i32 {
    i32::try_from(task.attempts).unwrap_or(i32::MAX)
}
