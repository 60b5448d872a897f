//! Routes and their OpenAPI description, declared once with utoipa-axum.

mod auth;
mod datasource_views;
mod datasources;
mod frontend;
mod health;
mod idempotency;
mod metrics;
mod preview;
mod preview_form;
mod rejected_rows;
mod tasks;
mod tokens;
mod upload;
mod upload_form;

use axum::{
    extract::DefaultBodyLimit,
    http::{header, HeaderName, HeaderValue, Method},
    Json, Router,
};
use tower_http::{
    cors::{AllowOrigin, CorsLayer},
    set_header::SetResponseHeaderLayer,
    trace::{DefaultMakeSpan, TraceLayer},
};
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
        (name = "health", description = "Liveness and dependencies"),
        (name = "auth", description = "Who the API takes the caller for, and its tokens (scope `admin`)")
    ),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// Documents `Authorization: Bearer <token>`: optional in the open loopback
/// mode, required otherwise (GET needs `read`, changes need `write`).
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("An API token (`ing_…`) from `ingest token create`. Not needed when the server listens on loopback with no token configured."))
                    .build(),
            ),
        );
        openapi.security = Some(vec![
            SecurityRequirement::new("bearer", Vec::<String>::new()),
            SecurityRequirement::default(),
        ]);
    }
}

/// Sent with every response: no inline scripts, nothing from other hosts,
/// never framed, no referrer leaving the page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

fn security_headers() -> [(HeaderName, HeaderValue); 4] {
    [
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
    ]
}

/// CORS only for the origins INGEST_ALLOWED_ORIGINS names; none otherwise.
fn cors(state: &AppState) -> Option<CorsLayer> {
    let origins: Vec<HeaderValue> = state
        .auth
        .origins()
        .origins
        .iter()
        .filter_map(|o| HeaderValue::from_str(&o.to_string()).ok())
        .collect();
    (!origins.is_empty()).then(|| {
        CorsLayer::new()
            .allow_origin(AllowOrigin::list(origins))
            .allow_methods([Method::GET, Method::POST, Method::DELETE])
            .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
    })
}

/// The routes with their OpenAPI document.
pub fn api() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::root))
        .routes(routes!(health::health))
        .routes(routes!(metrics::metrics))
        .routes(routes!(auth::whoami))
        .routes(routes!(upload::upload))
        .routes(routes!(preview::preview))
        .routes(routes!(tasks::status))
        .routes(routes!(tasks::list))
        .routes(routes!(tasks::cancel))
        .routes(routes!(tasks::retry))
        .routes(routes!(tasks::confirm))
        .routes(routes!(rejected_rows::download))
        .routes(routes!(datasources::list))
        .routes(routes!(datasources::describe, datasources::delete))
        .routes(routes!(datasources::timeseries))
        .routes(routes!(tokens::create, tokens::list))
        .routes(routes!(tokens::revoke))
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
    let cors = cors(&state);
    let mut app = routes
        .route(
            "/api/openapi.json",
            axum::routing::get(move || async move { Json(spec) }),
        )
        .route("/api/docs", axum::routing::get(frontend::docs))
        .nest("/api", api_fallback)
        .fallback_service(frontend::service(state.frontend_dir.clone()))
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn_with_state(
            crate::http_limits::BodyLimits {
                idle: state.upload_idle_timeout,
                cut_off: state.uploads_cut_off.clone(),
            },
            crate::http_limits::idle_body_timeout,
        ))
        .layer(axum::middleware::from_fn_with_state(
            std::sync::Arc::clone(&state.auth),
            crate::auth::guard,
        ));
    if let Some(cors) = cors {
        app = app.layer(cors);
    }
    for (name, value) in security_headers() {
        app = app.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    // Spans name the method and path only: request headers (Authorization)
    // are never recorded.
    app.layer(
        TraceLayer::new_for_http().make_span_with(DefaultMakeSpan::new().include_headers(false)),
    )
    .with_state(state)
}
