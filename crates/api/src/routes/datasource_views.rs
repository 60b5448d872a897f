//! What the datasource pages show: the sink's summary joined with the task
//! store's record of the uploads that built each datasource.

use chrono::{DateTime, Utc};
use ingest_domain::{
    DatasourceName, DatasourceSummary, Granularity, IngestMode, Task, TaskId, TaskStatus, TimePoint,
};
use ingest_pipeline::DatasourceQuery;
use ingest_storage::{StorageError, TaskFilter, TaskStore};
use serde::Serialize;
use utoipa::ToSchema;

/// Rows of the sample on a datasource's page.
pub const SAMPLE_ROWS: usize = 20;
/// Uploads listed on a datasource's page, newest first.
pub const UPLOADS_LISTED: usize = 50;
const PAGE: u32 = 500;

/// A datasource in the list: what the sink holds and its latest upload.
#[derive(Serialize, ToSchema)]
pub struct DatasourceEntry {
    #[serde(flatten)]
    pub summary: DatasourceSummary,
    /// Bytes the sink keeps for it (local: its Parquet files; Druid: its
    /// published segments), when the sink can tell.
    pub size_bytes: Option<u64>,
    pub column_count: usize,
    /// When the newest upload to it arrived.
    pub last_upload_at: Option<DateTime<Utc>>,
    /// The newest upload's task and where it stands.
    pub last_task_id: Option<TaskId>,
    pub last_task_status: Option<TaskStatus>,
}

/// An upload that went (or is going) into a datasource.
#[derive(Serialize, ToSchema)]
pub struct UploadEntry {
    pub task_id: TaskId,
    pub file_name: String,
    pub status: TaskStatus,
    pub mode: IngestMode,
    /// Rows it put into the sink (once succeeded).
    pub rows: Option<u64>,
    pub size_bytes: u64,
    pub created_at: DateTime<Utc>,
}

/// One datasource's page: schema, rows over time, the first rows by time
/// and the uploads that built it.
#[derive(Serialize, ToSchema)]
pub struct DatasourceDetail {
    #[serde(flatten)]
    pub entry: DatasourceEntry,
    /// Bucket width of `rows_over_time`, chosen to suit the time range.
    pub granularity: Granularity,
    pub rows_over_time: Vec<TimePoint>,
    /// The first rows by time (at most 20), column → value; `__time` as
    /// RFC 3339.
    #[schema(value_type = Vec<std::collections::HashMap<String, serde_json::Value>>)]
    pub sample: Vec<serde_json::Map<String, serde_json::Value>>,
    /// Newest first, at most 50.
    pub uploads: Vec<UploadEntry>,
}

/// Tasks of exactly this datasource, newest first, at most `limit`. The
/// store's filter matches part of a name in any case, so pages are
/// filtered here.
pub async fn tasks_of(
    tasks: &dyn TaskStore,
    name: &DatasourceName,
    status: Option<TaskStatus>,
    limit: usize,
) -> Result<Vec<Task>, StorageError> {
    let mut found = Vec::new();
    let mut offset = 0;
    loop {
        let page = tasks
            .list(&TaskFilter {
                status,
                datasource: Some(name.to_string()),
                limit: PAGE,
                offset,
                ..TaskFilter::default()
            })
            .await?;
        let seen = page.tasks.len();
        found.extend(page.tasks.into_iter().filter(|t| t.datasource == *name));
        if found.len() >= limit || seen < PAGE as usize {
            break;
        }
        offset += PAGE;
    }
    found.truncate(limit);
    Ok(found)
}

/// A task of this datasource that has not finished yet (queued, running,
/// or waiting for something), if any.
pub async fn unfinished_task(
    tasks: &dyn TaskStore,
    name: &DatasourceName,
) -> Result<Option<Task>, StorageError> {
    for status in TaskStatus::ALL.into_iter().filter(|s| !s.is_terminal()) {
        if let Some(task) = tasks_of(tasks, name, Some(status), 1).await?.pop() {
            return Ok(Some(task));
        }
    }
    Ok(None)
}

pub async fn entry(
    query: &dyn DatasourceQuery,
    tasks: &dyn TaskStore,
    summary: DatasourceSummary,
) -> Result<DatasourceEntry, crate::error::ApiError> {
    let name = DatasourceName::parse(&summary.name)
        .map_err(|e| crate::error::ApiError::internal(format!("the sink lists {e}")))?;
    let size_bytes = query.size_bytes(&name).await?;
    let last = tasks_of(tasks, &name, None, 1).await?.pop();
    Ok(DatasourceEntry {
        column_count: summary.columns.len(),
        size_bytes,
        last_upload_at: last.as_ref().map(|t| t.created_at),
        last_task_id: last.as_ref().map(|t| t.task_id),
        last_task_status: last.as_ref().map(Task::status),
        summary,
    })
}

pub fn upload_entry(task: &Task) -> UploadEntry {
    UploadEntry {
        task_id: task.task_id,
        file_name: task.file_name.clone(),
        status: task.status(),
        mode: task.mode,
        rows: task.row_count,
        size_bytes: task.size_bytes,
        created_at: task.created_at,
    }
}

/// A bucket width that gives a readable number of buckets for the span.
pub fn granularity_for(summary: &DatasourceSummary) -> Granularity {
    let span = match (summary.min_time, summary.max_time) {
        (Some(min), Some(max)) => max - min,
        _ => return Granularity::Day,
    };
    if span <= chrono::Duration::hours(6) {
        Granularity::Minute
    } else if span <= chrono::Duration::days(7) {
        Granularity::Hour
    } else if span <= chrono::Duration::days(180) {
        Granularity::Day
    } else if span <= chrono::Duration::days(3 * 365) {
        Granularity::Week
    } else {
        Granularity::Month
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spanning(hours: i64) -> DatasourceSummary {
        let min = Utc::now();
        DatasourceSummary {
            name: "x".into(),
            row_count: 1,
            min_time: Some(min),
            max_time: Some(min + chrono::Duration::hours(hours)),
            columns: Vec::new(),
        }
    }

    #[test]
    fn buckets_grow_with_the_span() {
        let chosen: Vec<Granularity> = [1, 48, 24 * 60, 24 * 400, 24 * 2000]
            .into_iter()
            .map(|h| granularity_for(&spanning(h)))
            .collect();
        assert_eq!(
            chosen,
            [
                Granularity::Minute,
                Granularity::Hour,
                Granularity::Day,
                Granularity::Week,
                Granularity::Month
            ]
        );
    }
}
