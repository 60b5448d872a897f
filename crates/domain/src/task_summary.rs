//! The shape of a task in lists: what a table row and the activity charts
//! need, without the validation report (its per-column profile grows with
//! the file's columns), so a page of 500 tasks stays small.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    DatasourceName, FileFormat, IngestMode, ReplaceEffect, Stage, Task, TaskError, TaskId,
    TaskProgress, TaskStatus,
};

/// A task in a list. `GET /api/ingest/status/{task_id}` has the whole task,
/// with its validation report and column profiles.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskSummary {
    pub task_id: TaskId,
    #[schema(value_type = String)]
    pub datasource: DatasourceName,
    pub file_name: String,
    pub size_bytes: u64,
    pub sha256: String,
    pub format: FileFormat,
    pub mode: IngestMode,
    pub status: TaskStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub stages: Vec<Stage>,
    pub rows_in: Option<u64>,
    pub row_count: Option<u64>,
    pub rejected_row_count: Option<u64>,
    /// Rows validation accepted (the report's `rows_accepted`).
    pub rows_accepted: Option<u64>,
    pub error: Option<TaskError>,
    pub attempts: u32,
    pub retries: u32,
    pub created_by: Option<String>,
    pub committed_at: Option<DateTime<Utc>>,
    /// Whether its schema differed from its datasource's (`null` until it
    /// was compared, right before ingesting).
    pub schema_drifted: Option<bool>,
    /// A replace: what it drops, so a list can offer its confirmation.
    pub replace_effect: Option<ReplaceEffect>,
    /// How far the running stage has got (see the task's `progress`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<TaskProgress>,
}

impl From<Task> for TaskSummary {
    fn from(task: Task) -> Self {
        Self {
            status: task.status(),
            schema_drifted: task.schema_drift.as_ref().map(|d| d.drifted),
            rows_accepted: task.validation.as_ref().map(|v| v.rows_accepted),
            replace_effect: task.replace_effect,
            progress: task.progress,
            task_id: task.task_id,
            datasource: task.datasource,
            file_name: task.file_name,
            size_bytes: task.size_bytes,
            sha256: task.sha256,
            format: task.format,
            mode: task.mode,
            created_at: task.created_at,
            updated_at: task.updated_at,
            stages: task.stages,
            rows_in: task.rows_in,
            row_count: task.row_count,
            rejected_row_count: task.rejected_row_count,
            error: task.error,
            attempts: task.attempts,
            retries: task.retries,
            created_by: task.created_by,
            committed_at: task.committed_at,
        }
    }
}
