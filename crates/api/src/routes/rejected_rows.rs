//! A task's rejected rows, downloaded as the CSV the worker kept beside the
//! upload (`line,column,code,reason,record`), streamed from the object
//! store.

use axum::{
    body::Body,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};
use ingest_domain::{rejected_rows_key, Task};
use ingest_storage::StorageError;

use crate::{error::ApiError, routes::tasks::load, state::AppState};

/// The rows a task rejected, as CSV: `line,column,code,reason,record`, one
/// line per rejected row (the record cut to 4 KiB). Streamed as an
/// attachment.
#[utoipa::path(
    get,
    path = "/api/ingest/tasks/{task_id}/rejected",
    tag = "ingest",
    operation_id = "download_rejected_rows",
    params(("task_id" = String, Path, description = "The task whose rejected rows to download")),
    responses(
        (status = 200, description = "The rejected rows (`Content-Disposition: attachment`)", content_type = "text/csv", body = String),
        (status = 400, description = "Malformed task id", body = crate::error::ErrorBody),
        (status = 404, description = "No such task, or `no_rejected_rows`: its last run rejected no row (or has not been validated yet)", body = crate::error::ErrorBody)
    )
)]
pub async fn download(
    State(state): State<AppState>,
    Path(task_id): Path<String>,
) -> Result<Response, ApiError> {
    let task = load(&state, &task_id).await?;
    if task.rejected_rows.is_none() {
        return Err(none_kept(&task));
    }
    let stream = match state
        .objects
        .read_stream(&rejected_rows_key(task.task_id))
        .await
    {
        Ok(stream) => stream,
        Err(StorageError::ObjectNotFound { .. }) => return Err(none_kept(&task)),
        Err(error) => return Err(error.into()),
    };
    let disposition = format!("attachment; filename=\"{}\"", file_name(&task));
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

fn none_kept(task: &Task) -> ApiError {
    ApiError::not_found(
        "no_rejected_rows",
        format!(
            "task {} has no rejected rows to download: its last run rejected none, or has not been validated yet",
            task.task_id
        ),
    )
}

/// `sales-rejected-rows.csv` for `sales.csv` (upload names hold only
/// `[A-Za-z0-9._-]`, so the name needs no escaping in the header).
fn file_name(task: &Task) -> String {
    let stem = task
        .file_name
        .split('.')
        .next()
        .filter(|s| !s.is_empty())
        .unwrap_or("upload");
    format!("{stem}-rejected-rows.csv")
}
