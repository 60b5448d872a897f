//! Extractors whose rejections use our error shape instead of axum's plain
//! text (a client parsing `{"error": …}` must never meet a bare string).

use axum::{
    extract::{
        rejection::{JsonRejection, QueryRejection},
        FromRequest, FromRequestParts, Request,
    },
    http::request::Parts,
};
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::error::ApiError;

/// `axum::extract::Query`, rejecting with `400 invalid_query`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T, S> FromRequestParts<S> for Query<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(invalid_query(&rejection)),
        }
    }
}

fn invalid_query(rejection: &QueryRejection) -> ApiError {
    // serde's message names the parameter and what it expected, e.g.
    // "limit: invalid digit found in string"; axum prefixes its own words.
    let reason = match rejection {
        QueryRejection::FailedToDeserializeQueryString(e) => e.body_text(),
        other => other.body_text(),
    };
    let reason = reason
        .strip_prefix("Failed to deserialize query string: ")
        .unwrap_or(&reason)
        .to_owned();
    ApiError::bad_request(
        "invalid_query",
        format!("the query string is not valid: {reason}"),
    )
    .with_details(json!({ "reason": reason, "hint": "See /api/docs for each parameter's type." }))
}

/// `axum::Json` as a request body, rejecting with our error shape: `415
/// not_json` without a JSON content type, else `400 invalid_json` naming
/// what serde found wrong.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T, S> FromRequest<S> for Json<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::unsupported_body(
                "send the body as JSON with `Content-Type: application/json`",
            )),
            Err(rejection) => Err(ApiError::bad_request(
                "invalid_json",
                format!(
                    "the body is not the JSON expected: {}",
                    rejection.body_text()
                ),
            )
            .with_details(json!({ "hint": "See /api/docs for the body's fields." }))),
        }
    }
}
