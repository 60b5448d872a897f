use axum::{
    extract::{Path, State},
    Json,
};
use ingest_domain::{DatasourceName, DatasourceSummary, Granularity, TimePoint};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

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
    datasources: Vec<DatasourceSummary>,
}

/// Every datasource with its rows, time range and columns.
#[utoipa::path(get, path = "/api/datasources", tag = "datasources", operation_id = "list_datasources", responses(
    (status = 200, description = "The datasources", body = DatasourceList),
    (status = 503, description = "The sink cannot be queried", body = crate::error::ErrorBody)
))]
pub async fn list(State(state): State<AppState>) -> Result<Json<DatasourceList>, ApiError> {
    let datasources = state.sink.datasources().await?;
    Ok(Json(DatasourceList { datasources }))
}

/// One datasource.
#[utoipa::path(get, path = "/api/datasources/{name}", tag = "datasources",
    params(("name" = String, Path, description = "Datasource name")),
    responses(
        (status = 200, description = "The datasource", body = DatasourceSummary),
        (status = 404, description = "No such datasource", body = crate::error::ErrorBody)
    )
)]
pub async fn describe(
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> Result<Json<DatasourceSummary>, ApiError> {
    let name = parse_name(&name)?;
    let summary = state
        .sink
        .datasource(&name)
        .await?
        .ok_or_else(|| not_found(&name))?;
    Ok(Json(summary))
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
        .sink
        .timeseries(&name, granularity)
        .await?
        .ok_or_else(|| not_found(&name))?;
    Ok(Json(TimeSeries {
        datasource: name.to_string(),
        granularity,
        points,
    }))
}
