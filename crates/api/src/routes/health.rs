use std::time::{Duration, Instant};

use axum::{
    extract::State, http::HeaderMap, http::StatusCode, response::IntoResponse, response::Response,
    Json,
};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{auth::Caller, routes::frontend, state::AppState};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const CHECK_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Serialize, ToSchema)]
pub struct Liveness {
    /// Always `ok` when the process answers.
    status: &'static str,
    version: &'static str,
}

/// Liveness, or the dashboard for browsers (`Accept: text/html`).
#[utoipa::path(get, path = "/", tag = "health", responses((status = 200, description = "The server is up", body = Liveness)))]
pub async fn root(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let wants_html = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    if wants_html {
        if let Some(page) = frontend::index(state.frontend_dir.as_deref()).await {
            return page;
        }
    }
    Json(Liveness {
        status: "ok",
        version: VERSION,
    })
    .into_response()
}

#[derive(Serialize, ToSchema)]
pub struct Check {
    /// `database`, `object_store`, and `druid` or `local_sink`.
    name: &'static str,
    /// `sqlite`, `postgres`, `local`, `s3`, `parquet`, `druid`.
    backend: &'static str,
    ok: bool,
    latency_ms: f64,
    error: Option<String>,
    /// The service cannot work without it.
    required: bool,
}

#[derive(Serialize, ToSchema)]
pub struct Workers {
    /// Workers this server was started with.
    configured: usize,
    /// Workers whose loop is running now; `0` of a configured `n` turns the
    /// health red (nothing would ever be processed).
    live: usize,
}

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` when every required check passes, else `degraded`.
    status: &'static str,
    version: &'static str,
    checks: Vec<Check>,
    workers: Workers,
}

async fn check<E: std::fmt::Display>(
    name: &'static str,
    backend: &'static str,
    probe: impl std::future::Future<Output = Result<(), E>>,
) -> Check {
    let started = Instant::now();
    let outcome = tokio::time::timeout(CHECK_TIMEOUT, probe).await;
    let error = match outcome {
        Ok(Ok(())) => None,
        Ok(Err(e)) => Some(e.to_string()),
        Err(_) => Some(format!("no answer within {} s", CHECK_TIMEOUT.as_secs())),
    };
    Check {
        name,
        backend,
        ok: error.is_none(),
        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
        error,
        required: true,
    }
}

/// One check without its details.
#[derive(Serialize, ToSchema)]
pub struct CheckSummary {
    name: &'static str,
    ok: bool,
}

/// What probes without a `read` token see: each check's name and whether it
/// passed, nothing that names a backend's internals.
#[derive(Serialize, ToSchema)]
pub struct HealthSummary {
    status: &'static str,
    checks: Vec<CheckSummary>,
}

/// The full answer for `read` tokens (and the open mode), the summary for anyone else.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum HealthAnswer {
    Full(Health),
    Summary(HealthSummary),
}

impl Health {
    fn summary(self) -> HealthSummary {
        HealthSummary {
            status: self.status,
            checks: self
                .checks
                .into_iter()
                .map(|c| CheckSummary {
                    name: c.name,
                    ok: c.ok,
                })
                .collect(),
        }
    }
}

/// Each dependency with its latency and error (with a `read` token, or when
/// the API is open; otherwise only each check's name and outcome); 503 when
/// a required one is down.
#[utoipa::path(get, path = "/api/health", tag = "health", responses(
    (status = 200, description = "Every required dependency answers", body = HealthAnswer),
    (status = 503, description = "A required dependency is down, or no worker is live", body = HealthAnswer)
))]
pub async fn health(
    State(state): State<AppState>,
    caller: Caller,
) -> (StatusCode, Json<HealthAnswer>) {
    let (status, Json(full)) = full_health(&state).await;
    let answer = if caller.may(ingest_domain::Scope::Read) {
        HealthAnswer::Full(full)
    } else {
        HealthAnswer::Summary(full.summary())
    };
    (status, Json(answer))
}

async fn full_health(state: &AppState) -> (StatusCode, Json<Health>) {
    let (database, objects, sink) = tokio::join!(
        check("database", state.tasks.backend(), state.tasks.health()),
        check(
            "object_store",
            state.objects.backend(),
            state.objects.health()
        ),
        check(
            state.sinks.probe.name(),
            state.sinks.probe.backend(),
            state.sinks.probe.health(),
        ),
    );
    let checks = vec![database, objects, sink];
    let workers = Workers {
        configured: state.workers,
        live: state.pipeline.live_workers(),
    };
    let workers_ok = workers.configured == 0 || workers.live > 0;
    let healthy = workers_ok && checks.iter().all(|c| c.ok || !c.required);
    let status = if healthy {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Health {
        status: if healthy { "ok" } else { "degraded" },
        version: VERSION,
        checks,
        workers,
    };
    (status, Json(body))
}
