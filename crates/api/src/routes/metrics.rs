//! `GET /metrics`: the Prometheus text format, for a scraper holding a
//! `read` token (open in the loopback mode, like the other reads). Names
//! and help texts live in `ingest_pipeline::metrics`.

use std::time::Duration;

use axum::{extract::State, http::header, response::IntoResponse};
use chrono::Utc;
use ingest_pipeline::metrics::{set_live_workers, set_queue};
use tracing::warn;

use crate::state::AppState;

/// The task store gets this long to count the queue; a scrape must not hang
/// on a database that does not answer.
const QUEUE_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// Prometheus metrics: uploads, finished tasks, stage durations, the queue,
/// lease losses, Druid calls, live workers, reaper removals (see QUICK_START.md).
#[utoipa::path(
    get,
    path = "/metrics",
    tag = "health",
    responses(
        (status = 200, description = "Metrics in the Prometheus text format (0.0.4)", body = String, content_type = "text/plain"),
        (status = 401, description = "A token is required and none (or a bad one) was sent", body = crate::error::ErrorBody),
        (status = 403, description = "The token lacks the `read` scope", body = crate::error::ErrorBody)
    )
)]
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    // Computed now from the store, so every server on one database reports
    // the same queue. When the store does not answer, the last figures stay
    // (the health check says why).
    match tokio::time::timeout(QUEUE_QUERY_TIMEOUT, state.tasks.queue()).await {
        Ok(Ok(queue)) => {
            let age = queue.oldest_created_at.map_or(0.0, |at| {
                (Utc::now() - at).num_milliseconds() as f64 / 1000.0
            });
            set_queue(queue.depth, age);
        }
        Ok(Err(error)) => warn!(%error, "metrics: could not count the queue"),
        Err(_) => warn!("metrics: counting the queue timed out"),
    }
    set_live_workers(state.pipeline.live_workers());
    let handle = crate::telemetry::metrics();
    handle.run_upkeep();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        handle.render(),
    )
}
