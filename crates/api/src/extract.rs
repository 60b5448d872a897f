//! Extractors whose rejections use our error shape instead of axum's plain
//! text (a client parsing `{"error": …}` must never meet a bare string).

use axum::{
    extract::{rejection::QueryRejection, FromRequestParts},
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
