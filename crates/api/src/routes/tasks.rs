use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use ingest_domain::{Task, TaskId, TaskStatus, TaskSummary};
use ingest_storage::{TaskFilter, TaskOrder, TaskSortKey};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::info;
use utoipa::{IntoParams, ToSchema};

use crate::{auth::Caller, error::ApiError, extract::Query, state::AppState};
use ingest_pipeline::CancelCheck;

fn parse_task_id(raw: &str) -> Result<TaskId, ApiError> {
    raw.parse().map_err(|_| {
        ApiError::bad_request(
            "invalid_task_id",
            format!("{raw:?} is not a task id (a UUID)"),
        )
        .with_details(json!({ "field": "task_id", "value": raw }))
    })
}

fn task_not_found(id: TaskId) -> ApiError {
    ApiError::not_found("task_not_found", format!("there is no task {id}"))
}

pub(super) async fn load(state: &AppState, raw: &str) -> Result<Task, ApiError> {
    let id = parse_task_id(raw)?;
    state.tasks.get(id).await?.ok_or_else(|| task_not_found(id))
}

/// A task: where its upload stands, with the validation report and any error.
#[utoipa::path(
    get,
    path = "/api/ingest/status/{task_id}",
    tag = "ingest",
    params(("task_id" = String, Path, description = "The id returned by the upload")),
    responses(
        (status = 200, description = "The task", body = Task),
        (status = 400, description = "Malformed task id", body = crate::error::ErrorBody),
        (status = 404, description = "No such task", body = crate::error::ErrorBody)
    )
)]
pub async fn status(
    State(state): State<AppState>,
    Path(task_id): Path<String>,
) -> Result<Json<Task>, ApiError> {
    load(&state, &task_id).await.map(Json)
}

/// Cancels a task that has not reached its sink's commit point: its work
/// stops and nothing of the upload is visible. A finished task, or one past
/// its commit point (still `ingesting`, `committed_at` set, about to be
/// `succeeded`), is left as it is: 409 `task_finished`.
///
/// Cancelling an `ingesting` task whose sink is Druid first shuts its Druid
/// task down and waits for Druid's last word on it, for up to 30 s, so this
/// answer can take that long: Druid reporting `SUCCESS` (its commit point)
/// makes it a 409; Druid not answering within that time lets the cancel go
/// ahead.
#[utoipa::path(
    post,
    path = "/api/ingest/tasks/{task_id}/cancel",
    tag = "ingest",
    params(("task_id" = String, Path, description = "The task to cancel")),
    responses(
        (status = 200, description = "Cancelled", body = Task),
        (status = 400, description = "Malformed task id", body = crate::error::ErrorBody),
        (status = 404, description = "No such task", body = crate::error::ErrorBody),
        (status = 409, description = "`task_finished`: the task had already finished, or had passed its sink's commit point (its rows are visible; it will end `succeeded`)", body = crate::error::ErrorBody)
    )
)]
pub async fn cancel(
    State(state): State<AppState>,
    caller: Caller,
    Path(task_id): Path<String>,
) -> Result<Json<Task>, ApiError> {
    let current = load(&state, &task_id).await?;
    let id = current.task_id;
    // Work the sink runs outside this process (a Druid task) is stopped
    // before the cancel is saved, so it can never commit after a cancel was
    // answered; if it had committed already, the cancel is refused.
    if state.sinks.ingest.stop_for_cancel(&current).await == CancelCheck::Committed {
        return Err(past_commit_point(id));
    }
    let asked_at = chrono::Utc::now();
    let task = state
        .tasks
        .cancel_by(id, caller.actor())
        .await?
        .ok_or_else(|| task_not_found(id))?;
    if task.status() != TaskStatus::Cancelled && task.is_committed() {
        return Err(past_commit_point(id));
    }
    if task.status() != TaskStatus::Cancelled {
        return Err(ApiError::conflict(
            "task_finished",
            format!("task {id} already finished as {}", task.status()),
        ));
    }
    if task.updated_at >= asked_at {
        ingest_pipeline::metrics::task_finished(&task); // not when it was cancelled before
    }
    Ok(Json(task))
}

fn past_commit_point(id: TaskId) -> ApiError {
    ApiError::conflict(
        "task_finished",
        format!("task {id} has passed its commit point: its rows are in the sink and it will end succeeded"),
    )
}

/// Confirms a replace that waits in `awaiting_confirmation`: the person
/// agrees to its `replace_effect` (the rows it drops, between the window's
/// start and end). The task is queued again; before ingesting, a worker
/// computes the effect anew, and if the rows the window holds have changed
/// meanwhile, the task waits for a confirmation again instead of dropping
/// rows nobody agreed to. Any other task is left as it is (409).
#[utoipa::path(
    post,
    path = "/api/ingest/tasks/{task_id}/confirm",
    tag = "ingest",
    params(("task_id" = String, Path, description = "The replace to confirm")),
    responses(
        (status = 202, description = "Confirmed and queued", body = Task),
        (status = 400, description = "Malformed task id", body = crate::error::ErrorBody),
        (status = 404, description = "No such task", body = crate::error::ErrorBody),
        (status = 409, description = "`task_not_awaiting_confirmation`: the task is not waiting for a confirmation", body = crate::error::ErrorBody)
    )
)]
pub async fn confirm(
    State(state): State<AppState>,
    caller: Caller,
    Path(task_id): Path<String>,
) -> Result<(StatusCode, Json<Task>), ApiError> {
    let current = load(&state, &task_id).await?;
    let id = current.task_id;
    let not_waiting = |task: &Task| {
        ApiError::conflict(
            "task_not_awaiting_confirmation",
            format!(
                "task {id} is {}, not awaiting a confirmation",
                task.status()
            ),
        )
    };
    if current.status() != TaskStatus::AwaitingConfirmation {
        return Err(not_waiting(&current));
    }
    let task = state
        .tasks
        .confirm_by(id, caller.actor())
        .await?
        .ok_or_else(|| task_not_found(id))?;
    if task.status() != TaskStatus::Queued {
        return Err(not_waiting(&task));
    }
    info!(task_id = %id, "replace confirmed");
    state.pipeline.notify_queued();
    Ok((StatusCode::ACCEPTED, Json(task)))
}

/// Runs a failed or cancelled task again from its stored upload, e.g. after
/// fixing what its error named. Any other task is left as it is (409).
#[utoipa::path(
    post,
    path = "/api/ingest/tasks/{task_id}/retry",
    tag = "ingest",
    params(("task_id" = String, Path, description = "The task to run again")),
    responses(
        (status = 202, description = "Queued again", body = Task),
        (status = 400, description = "Malformed task id", body = crate::error::ErrorBody),
        (status = 404, description = "No such task", body = crate::error::ErrorBody),
        (status = 409, description = "The task has not failed or been cancelled, or its uploaded file is gone", body = crate::error::ErrorBody)
    )
)]
pub async fn retry(
    State(state): State<AppState>,
    caller: Caller,
    Path(task_id): Path<String>,
) -> Result<(StatusCode, Json<Task>), ApiError> {
    let current = load(&state, &task_id).await?;
    let id = current.task_id;
    let not_retryable = |task: &Task| {
        ApiError::conflict(
            "task_not_retryable",
            format!(
                "task {id} is {}; only failed or cancelled tasks can be run again",
                task.status()
            ),
        )
    };
    if !current.can_retry() {
        return Err(not_retryable(&current));
    }
    if state.objects.size(&current.object_key).await?.is_none() {
        return Err(ApiError::conflict(
            "upload_gone",
            format!("the uploaded file of task {id} is no longer stored; upload it again"),
        ));
    }
    let task = state
        .tasks
        .requeue_by(id, caller.actor())
        .await?
        .ok_or_else(|| task_not_found(id))?;
    if task.status() != TaskStatus::Queued {
        return Err(not_retryable(&task));
    }
    info!(task_id = %id, retries = task.retries, "task queued again");
    state.pipeline.notify_queued();
    Ok((StatusCode::ACCEPTED, Json(task)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only tasks with this status.
    status: Option<String>,
    /// Only tasks for this datasource.
    datasource: Option<String>,
    /// Sort key: `created_at` (default), `file_name`, `datasource`,
    /// `status`, `row_count` or `size_bytes`. The whole list is sorted,
    /// then paged; tasks without a value (no rows counted yet) come last.
    sort: Option<String>,
    /// `asc` or `desc`; by default numbers and times newest/largest first
    /// (`desc`), names and statuses A→Z (`asc`).
    order: Option<String>,
    /// Page size (default 50, at most 500).
    limit: Option<u32>,
    offset: Option<u32>,
}

impl ListQuery {
    fn order(&self) -> Result<TaskOrder, ApiError> {
        let invalid = |field: &str, message: String| {
            ApiError::bad_request("invalid_sort", message).with_details(json!({ "field": field }))
        };
        let by = match self.sort.as_deref().filter(|s| !s.is_empty()) {
            None => TaskSortKey::CreatedAt,
            Some(s) => s.parse().map_err(|e| invalid("sort", e))?,
        };
        let ascending = match self.order.as_deref().filter(|s| !s.is_empty()) {
            None => matches!(
                by,
                TaskSortKey::FileName | TaskSortKey::Datasource | TaskSortKey::Status
            ),
            Some("asc") => true,
            Some("desc") => false,
            Some(other) => {
                return Err(invalid(
                    "order",
                    format!("cannot order tasks `{other}`; use asc or desc"),
                ))
            }
        };
        Ok(TaskOrder { by, ascending })
    }
}

/// A page of tasks in their summary shape (no validation report or column
/// profiles: see `GET /api/ingest/status/{task_id}` for those).
#[derive(Serialize, ToSchema)]
pub struct TaskList {
    tasks: Vec<TaskSummary>,
    /// Tasks matching the filter, across all pages.
    total: u64,
    limit: u32,
    offset: u32,
}

/// Tasks, newest first unless sorted otherwise.
#[utoipa::path(
    get,
    path = "/api/ingest/tasks",
    tag = "ingest",
    // Unique across the spec: the generated client types key operations by it.
    operation_id = "list_tasks",
    params(ListQuery),
    responses(
        (status = 200, description = "A page of tasks", body = TaskList),
        (status = 400, description = "Unknown status, sort key or order", body = crate::error::ErrorBody)
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<TaskList>, ApiError> {
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(str::parse::<TaskStatus>)
        .transpose()
        .map_err(|e| {
            ApiError::bad_request("invalid_status", e.to_string())
                .with_details(json!({ "field": "status" }))
        })?;
    let order = query.order()?;
    let limit = query.limit.unwrap_or(50).clamp(1, 500);
    let offset = query.offset.unwrap_or(0);
    let filter = TaskFilter {
        status,
        datasource: query.datasource.filter(|d| !d.is_empty()),
        order,
        limit,
        offset,
    };
    let page = state.tasks.list(&filter).await?;
    Ok(Json(TaskList {
        tasks: page.tasks.into_iter().map(TaskSummary::from).collect(),
        total: page.total,
        limit,
        offset,
    }))
}
