//! The dashboard: the built single-page app, with `index.html` for any path
//! that is not a file so client-side routes work on reload; and the API
//! reference at `/api/docs`, a second page of the same build (`docs.html`,
//! Swagger UI bundled from npm, so nothing is loaded from a CDN).

use std::path::{Path, PathBuf};

use axum::{
    body::Body,
    extract::State,
    http::{header, HeaderValue, Request, StatusCode},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::{error::ApiError, state::AppState};

/// Hashed asset names change with their content, so they can be cached for good.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub async fn index(dir: Option<&Path>) -> Option<Response> {
    let html = tokio::fs::read(dir?.join("index.html")).await.ok()?;
    let mut response = ([(header::CONTENT_TYPE, "text/html; charset=utf-8")], html).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    Some(response)
}

/// Said at `/api/docs` when the dashboard was not built (no Node/npm): plain
/// HTML without scripts, linking the raw document.
const DOCS_NOT_BUILT: &str = r#"<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>ingest API reference</title></head>
<body>
<h1>ingest API reference</h1>
<p>The interactive API reference is part of the dashboard build, which this server does not have
(<code>INGEST_FRONTEND_DIR</code> has no <code>docs.html</code>). Build it with
<code>scripts/frontend.sh build</code> (needs Node 20+ and npm), then restart the server.</p>
<p>The OpenAPI document itself is here: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
</body>
</html>
"#;

/// `GET /api/docs`: the built API reference page, or a page saying it was not built.
pub async fn docs(State(state): State<AppState>) -> Response {
    let built = match state.frontend_dir.as_deref() {
        Some(dir) => tokio::fs::read(dir.join("docs.html")).await.ok(),
        None => None,
    };
    let body = built.map_or_else(|| Body::from(DOCS_NOT_BUILT), Body::from);
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

pub fn service(dir: Option<PathBuf>) -> axum::routing::MethodRouter {
    axum::routing::get(move |request: Request<Body>| {
        let dir = dir.clone();
        async move {
            let Some(dir) = dir else {
                return ApiError::not_found(
                    "no_dashboard",
                    "the dashboard is not built or not found; build it (scripts/frontend.sh build) and point INGEST_FRONTEND_DIR at frontend/dist",
                )
                .into_response();
            };
            let immutable = request.uri().path().starts_with("/assets/");
            let serve = ServeDir::new(&dir).fallback(ServeFile::new(dir.join("index.html")));
            match serve.oneshot(request).await {
                Ok(response) => {
                    let mut response = response.into_response();
                    let cache = if immutable && response.status() == StatusCode::OK {
                        IMMUTABLE
                    } else {
                        "no-cache"
                    };
                    response
                        .headers_mut()
                        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
                    response
                }
                Err(error) => ApiError::internal(error).into_response(),
            }
        }
    })
}
