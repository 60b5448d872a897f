//! The dashboard: the built single-page app, with `index.html` for any path
//! that is not a file so client-side routes work on reload.

use std::path::{Path, PathBuf};

use axum::{
    body::Body,
    http::{header, HeaderValue, Request, StatusCode},
    response::{IntoResponse, Response},
};
use tower::ServiceExt;
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ApiError;

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

pub fn service(dir: Option<PathBuf>) -> axum::routing::MethodRouter {
    axum::routing::get(move |request: Request<Body>| {
        let dir = dir.clone();
        async move {
            let Some(dir) = dir else {
                return ApiError::not_found(
                    "no_dashboard",
                    "the dashboard is not built; run scripts/run.sh (or npm run build in frontend/)",
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
