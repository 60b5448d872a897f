use axum::{
    extract::{Path, State},
    http::StatusCode,
    Json,
};
use ingest_domain::{DatasourceName, Granularity, TimePoint};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::datasource_views::{self as views, DatasourceDetail, DatasourceEntry};
use crate::{error::ApiError, extract::Query, state::AppState};

fn parse_name(raw: &str) -> Result<DatasourceName, ApiError> {
    DatasourceName::parse(raw).map_err(|e| {
        ApiError::bad_request("invalid_datasource_name", e.to_string())
            .with_details(json!({ "field": "name", "value": raw }))
    })
}

fn not_found(name: &DatasourceName) -> ApiError {
    ApiError::not_found(
        "datasource_not_found",
        format!("there is no datasource {name}"),
    )
}

#[derive(Serialize, ToSchema)]
pub struct DatasourceList {
    datasources: Vec<DatasourceEntry>,
}

/// Every datasource with its rows, time range, columns and size, and its
/// newest upload's time and status.
#[utoipa::path(get, path = "/api/datasources", tag = "datasources", operation_id = "list_datasources", responses(
    (status = 200, description = "The datasources", body = DatasourceList),
    (status = 503, description = "The sink cannot be queried", body = crate::error::ErrorBody)
))]
pub async fn list(State(state): State<AppState>) -> Result<Json<DatasourceList>, ApiError> {
    let (query, tasks) = (state.sinks.query.as_ref(), state.tasks.as_ref());
    let mut datasources = Vec::new();
    for summary in query.datasources().await? {
        datasources.push(views::entry(query, tasks, summary).await?);
    }
    Ok(Json(DatasourceList { datasources }))
}

/// One datasource: its schema, rows over time, the first rows by time and
/// the uploads that built it.
#[utoipa::path(get, path = "/api/datasources/{name}", tag = "datasources",
    params(("name" = String, Path, description = "Datasource name")),
    responses(
        (status = 200, description = "The datasource", body = DatasourceDetail),
        (status = 404, description = "No such datasource", body = crate::error::ErrorBody)
    )
)]
pub async fn describe(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<DatasourceDetail>, ApiError> {
    let name = parse_name(&name)?;
    let (query, tasks) = (state.sinks.query.as_ref(), state.tasks.as_ref());
    let summary = query
        .datasource(&name)
        .await?
        .ok_or_else(|| not_found(&name))?;
    let granularity = views::granularity_for(&summary);
    let rows_over_time = query
        .timeseries(&name, granularity)
        .await?
        .unwrap_or_default();
    let sample = query
        .sample(&name, views::SAMPLE_ROWS)
        .await?
        .unwrap_or_default();
    let uploads = views::tasks_of(tasks, &name, None, views::UPLOADS_LISTED).await?;
    Ok(Json(DatasourceDetail {
        entry: views::entry(query, tasks, summary).await?,
        granularity,
        rows_over_time,
        sample,
        uploads: uploads.iter().map(views::upload_entry).collect(),
    }))
}

/// Deletes the datasource and all its rows (local sink: its files go at
/// once, under the datasource's lock; Druid: its segments are marked unused
/// and a kill task removes them from deep storage). Refused while an upload
/// to it has not finished. The tasks that built it stay in the task list,
/// but no longer hold its schema: an upload to a datasource created again
/// under the name shows no schema drift against the deleted one.
#[utoipa::path(delete, path = "/api/datasources/{name}", tag = "datasources", operation_id = "delete_datasource",
    params(("name" = String, Path, description = "Datasource name")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "No such datasource", body = crate::error::ErrorBody),
        (status = 409, description = "An upload to it has not finished (`datasource_busy`)", body = crate::error::ErrorBody),
        (status = 503, description = "The sink cannot be reached", body = crate::error::ErrorBody)
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let name = parse_name(&name)?;
    if let Some(task) = views::unfinished_task(state.tasks.as_ref(), &name).await? {
        return Err(ApiError::conflict(
            "datasource_busy",
            format!(
                "an upload to {name} has not finished yet (task {}, {})",
                task.task_id,
                task.status()
            ),
        )
        .with_details(json!({ "task_id": task.task_id, "status": task.status() })));
    }
    if !state.sinks.ingest.delete_datasource(&name).await? {
        return Err(not_found(&name));
    }
    // A datasource created again under this name starts a new schema.
    state
        .tasks
        .reset_schema(name.as_str(), chrono::Utc::now())
        .await?;
    tracing::info!(datasource = %name, "datasource deleted");
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SeriesQuery {
    /// Bucket width: minute, hour, day (default), week, month.
    granularity: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct TimeSeries {
    datasource: String,
    granularity: Granularity,
    points: Vec<TimePoint>,
}

/// Rows per time bucket, for charts.
#[utoipa::path(get, path = "/api/datasources/{name}/timeseries", tag = "datasources",
    params(("name" = String, Path, description = "Datasource name"), SeriesQuery),
    responses(
        (status = 200, description = "Rows per bucket, oldest first", body = TimeSeries),
        (status = 400, description = "Unknown granularity", body = crate::error::ErrorBody),
        (status = 404, description = "No such datasource", body = crate::error::ErrorBody)
    )
)]
pub async fn timeseries(
    State(state): State<AppState>,
    Path(name): Path<String>,
    Query(query): Query<SeriesQuery>,
) -> Result<Json<TimeSeries>, ApiError> {
    let name = parse_name(&name)?;
    let granularity = match query.granularity.as_deref() {
        None | Some("") => Granularity::default(),
        Some(raw) => raw.parse().map_err(|e: ingest_domain::UnknownValue| {
            ApiError::bad_request("invalid_granularity", e.to_string())
        })?,
    };
    let points = state
        .sinks
        .query
        .timeseries(&name, granularity)
        .await?
        .ok_or_else(|| not_found(&name))?;
    Ok(Json(TimeSeries {
        datasource: name.to_string(),
        granularity,
        points,
    }))
}
