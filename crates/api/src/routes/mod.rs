//! Routes and their OpenAPI description, declared once with utoipa-axum.

mod datasources;
mod frontend;
mod health;
mod tasks;
mod upload;

use axum::{extract::DefaultBodyLimit, Json, Router};
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{error::ApiError, state::AppState};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "ingest",
        description = "Upload CSV, XLSX, Parquet or NDJSON files; each upload becomes a task that is validated and ingested into Druid (or a local Parquet sink). Every error has the shape {\"error\": {\"code\", \"message\", \"details\"}}."
    ),
    tags(
        (name = "ingest", description = "Uploads and their tasks"),
        (name = "datasources", description = "What has been ingested"),
        (name = "health", description = "Liveness and dependencies")
    )
)]
struct ApiDoc;

/// The routes with their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::root))
        .routes(routes!(health::health))
        .routes(routes!(upload::upload))
        .routes(routes!(tasks::status))
        .routes(routes!(tasks::list))
        .routes(routes!(tasks::cancel))
        .routes(routes!(tasks::retry))
        .routes(routes!(datasources::list))
        .routes(routes!(datasources::describe))
        .routes(routes!(datasources::timeseries))
        .split_for_parts()
}

/// The OpenAPI document alone (for the dashboard's generated types).
pub fn openapi() -> utoipa::openapi::OpenApi {
    api().1
}

pub fn router(state: AppState) -> Router {
    let (routes, spec) = api();
    // Uploads are streamed and their size checked as they arrive; the body
    // limit only stops requests far beyond any file we would accept.
    let body_limit =
        usize::try_from(state.max_upload_bytes.saturating_add(1 << 20)).unwrap_or(usize::MAX);
    let api_fallback = Router::new().fallback(|| async {
        ApiError::not_found(
            "no_such_endpoint",
            "there is no such API endpoint; see /api/docs",
        )
    });
    routes
        .route(
            "/api/openapi.json",
            axum::routing::get(move || async move { Json(spec) }),
        )
        .route("/api/docs", axum::routing::get(frontend::docs))
        .nest("/api", api_fallback)
        .fallback_service(frontend::service(state.frontend_dir.clone()))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
