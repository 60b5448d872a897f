//! The one HTTP error type. Every failure becomes
//! `{"error": {"code", "message", "details"}}`; internal causes are logged,
//! never sent.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
    Json,
};
use serde::Serialize;
use serde_json::{json, Value};
use utoipa::ToSchema;

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Option<Value>,
    /// Logged with the response; never part of it.
    pub cause: Option<String>,
    /// Sent as `Retry-After` (seconds).
    pub retry_after: Option<u64>,
}

/// The error envelope.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable snake_case identifier, e.g. `invalid_datasource_name`.
    pub code: String,
    /// A sentence for people.
    pub message: String,
    /// Field, line, hint: whatever locates the problem.
    #[schema(value_type = Object)]
    pub details: Value,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: None,
            cause: None,
            retry_after: None,
        }
    }

    pub fn with_details(mut self, details: Value) -> Self {
        self.details = Some(details);
        self
    }

    pub fn caused_by(mut self, cause: impl std::fmt::Display) -> Self {
        self.cause = Some(cause.to_string());
        self
    }

    /// 400: the request is malformed.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    /// 401: no token, or one this server does not accept; answered with
    /// `WWW-Authenticate: Bearer`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// 403: refused whoever asks (a missing scope, another site's page, a
    /// host name an open server does not answer to).
    pub fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, code, message)
    }

    /// 404.
    pub fn not_found(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    /// 409: the request conflicts with the resource's state.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, code, message)
    }

    /// 413.
    pub fn too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "file_too_large",
            format!("the file is larger than this server's limit of {limit} bytes"),
        )
        .with_details(json!({ "limit_bytes": limit, "hint": "Split the file, or raise INGEST_MAX_UPLOAD_BYTES on the server." }))
    }

    /// 408: the client stopped sending its upload; nothing was kept.
    pub fn upload_idle(after: std::time::Duration) -> Self {
        let secs = after.as_secs();
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "upload_idle_timeout",
            format!("the upload sent nothing for {secs} seconds and was cut off; nothing was kept"),
        )
        .with_details(json!({ "idle_timeout_secs": secs, "hint": "Check the connection and upload again; the server's limit is INGEST_UPLOAD_IDLE_TIMEOUT_SECS." }))
    }

    /// 503: the server shut down while the upload was arriving; nothing
    /// was kept.
    pub fn shutting_down() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "shutting_down",
            "the server is shutting down and cut this upload off; nothing was kept",
        )
        .with_details(json!({ "hint": "Upload again: another server (or this one, once restarted) will take it. The grace period is INGEST_SHUTDOWN_GRACE_SECS." }))
    }

    /// 429: every upload slot is busy; answered with `Retry-After`.
    pub fn too_many_uploads(limit: usize, retry_after: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_uploads",
            format!("this server already receives {limit} uploads at once; try again shortly"),
        )
        .with_details(json!({ "limit": limit, "retry_after_secs": retry_after, "hint": "Wait and retry, or raise INGEST_MAX_CONCURRENT_UPLOADS on the server." }));
        error.retry_after = Some(retry_after);
        error
    }

    /// 429: every preview slot is busy; answered with `Retry-After`.
    pub fn too_many_previews(limit: usize, retry_after: u64) -> Self {
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_previews",
            format!("this server already previews {limit} files at once; try again shortly"),
        )
        .with_details(json!({ "limit": limit, "retry_after_secs": retry_after, "hint": "Wait and retry, or raise INGEST_MAX_CONCURRENT_PREVIEWS on the server." }));
        error.retry_after = Some(retry_after);
        error
    }

    /// 413: a preview's file is over the preview limit (an upload may
    /// still take it).
    pub fn preview_too_large(limit: u64) -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "preview_too_large",
            format!("preview is not available for files over {limit} bytes; the file can still be uploaded"),
        )
        .with_details(json!({ "limit_bytes": limit, "hint": "Send only the start of a CSV or NDJSON file (with truncated=true), upload the file without a preview, or raise INGEST_MAX_PREVIEW_BYTES on the server." }))
    }

    /// 503: a preview took longer than its time limit and was stopped.
    pub fn preview_timeout(secs: u64) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "preview_timeout",
            format!("the preview took longer than {secs} seconds and was stopped"),
        )
        .with_details(json!({ "timeout_secs": secs, "hint": "Preview a smaller part of the file, upload it without a preview, or raise INGEST_PREVIEW_TIMEOUT_SECS on the server." }))
    }

    /// 507: the server's disk is too full to keep the upload; nothing kept.
    pub fn insufficient_storage(available: u64, needed: u64) -> Self {
        Self::new(
            StatusCode::INSUFFICIENT_STORAGE,
            "insufficient_storage",
            "the server's disk is too full to keep this upload; nothing was kept",
        )
        .with_details(json!({ "available_bytes": available, "needed_bytes": needed, "hint": "Free space in INGEST_DATA_DIR (or lower INGEST_MIN_FREE_DISK_BYTES) and upload again." }))
    }

    /// 415: not a format we read, or not the format it claims.
    pub fn unsupported(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_file_type",
            message,
        )
    }

    /// 415 for a request body that is not in the format the route reads.
    pub fn unsupported_body(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "not_json", message)
    }

    /// 422: well-formed but unacceptable values.
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 503: a backend we need is down; nothing was kept.
    pub fn unavailable(what: &str, cause: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "backend_unavailable",
            format!("the {what} is unavailable right now; nothing was kept, please try again"),
        )
        .caused_by(cause)
    }

    /// 500: our fault. The cause goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal_error",
            "something went wrong on the server",
        )
        .caused_by(cause)
    }
}

impl From<ingest_storage::StorageError> for ApiError {
    fn from(error: ingest_storage::StorageError) -> Self {
        use ingest_storage::{StorageError as E, StorageErrorKind as K};
        let chain = error_chain(&error);
        let what = match error {
            E::Database { .. } | E::Migration(_) | E::CorruptTask { .. } => "database",
            _ => "object store",
        };
        match error.kind() {
            K::NotFound => Self::not_found("not_found", format!("the {what} has no such item"))
                .caused_by(chain),
            K::Rejected => Self::conflict(
                "conflict",
                format!("the {what} refused the change; it conflicts with what is stored"),
            )
            .caused_by(chain),
            K::Unavailable => Self::unavailable(what, chain),
            K::Internal => Self::internal(chain),
        }
    }
}

impl From<ingest_pipeline::SinkError> for ApiError {
    fn from(error: ingest_pipeline::SinkError) -> Self {
        use ingest_pipeline::SinkErrorKind as K;
        // The sink's message may quote Druid's answer and internal URLs:
        // it goes to the log; the client gets the code and a fixed sentence.
        let cause = format!("{}: {}", error.message, error.hint.as_deref().unwrap_or(""));
        let details = json!({ "code": error.code, "hint": "`ingest doctor` and /api/health say what is wrong." });
        let answer = match error.kind {
            K::NotFound => Self::not_found(
                "datasource_not_found",
                "the ingestion target has no such datasource",
            ),
            K::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "sink_unavailable",
                "the ingestion target could not answer right now; please try again (details are in the server log)",
            ),
            K::Rejected => Self::conflict(
                "sink_rejected",
                "the ingestion target refused the request (details are in the server log)",
            ),
            K::Internal => Self::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                "sink_failed",
                "the ingestion target failed on the server's side (details are in the server log)",
            ),
        };
        answer.with_details(details).caused_by(cause)
    }
}

/// An error and its sources, for logs.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(status = %self.status, code = self.code, cause = self.cause.as_deref().unwrap_or(""), "request failed");
        } else {
            tracing::info!(status = %self.status, code = self.code, message = %self.message, cause = self.cause.as_deref().unwrap_or(""), "request rejected");
        }
        let retry_after = self.retry_after;
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_owned(),
                message: self.message,
                details: self.details.unwrap_or_else(|| json!({})),
            },
        };
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(
                axum::http::header::WWW_AUTHENTICATE,
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(axum::http::header::RETRY_AFTER, secs.into());
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingest_pipeline::{SinkError, SinkErrorKind as K};

    #[test]
    fn each_sink_error_kind_has_one_status_and_keeps_druids_words_out() {
        let secret = "Druid at http://10.0.0.7:8888 answered 500: java.lang.NullPointerException";
        for (kind, status, code) in [
            (K::NotFound, StatusCode::NOT_FOUND, "datasource_not_found"),
            (
                K::Unavailable,
                StatusCode::SERVICE_UNAVAILABLE,
                "sink_unavailable",
            ),
            (K::Rejected, StatusCode::CONFLICT, "sink_rejected"),
            (
                K::Internal,
                StatusCode::INTERNAL_SERVER_ERROR,
                "sink_failed",
            ),
        ] {
            let error = ApiError::from(
                SinkError::new("druid_sql_failed", secret, Some("see 10.0.0.7")).with_kind(kind),
            );
            assert_eq!((error.status, error.code), (status, code), "{kind:?}");
            let sent = format!(
                "{} {}",
                error.message,
                error.details.clone().unwrap_or_default()
            );
            assert!(!sent.contains("10.0.0.7"), "{kind:?} sends {sent}");
            assert_eq!(
                error.details.as_ref().map(|d| &d["code"]),
                Some(&json!("druid_sql_failed"))
            );
            assert!(error.cause.is_some_and(|c| c.contains(secret)), "logged");
        }
        let down = ApiError::from(SinkError::new("druid_unreachable", secret, None).retryable());
        assert_eq!(down.status, StatusCode::SERVICE_UNAVAILABLE);
    }
}
