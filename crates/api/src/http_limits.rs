//! Slow or numerous uploads cannot hold the server: a request body that
//! sends nothing for the idle timeout fails (the upload handler aborts the
//! partial object), and uploads beyond the concurrency limit are refused
//! before their body is read.

use std::{sync::Arc, time::Duration};

use axum::{
    body::Body,
    extract::{FromRequestParts, Request, State},
    http::{header, request::Parts},
    middleware::Next,
    response::Response,
    BoxError,
};
use futures::StreamExt;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::{error::ApiError, state::AppState};

/// The body stream's error when the client went quiet; the upload handler
/// finds it in the multipart error's sources.
#[derive(Debug, thiserror::Error)]
#[error("the client sent nothing for {} s", .0.as_secs())]
pub struct BodyIdle(pub Duration);

impl BodyIdle {
    /// The idle timeout behind `error`, if that is what ended the body.
    pub fn find<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a BodyIdle> {
        let mut current = Some(error);
        while let Some(e) = current {
            if let Some(idle) = e.downcast_ref::<BodyIdle>() {
                return Some(idle);
            }
            current = e.source();
        }
        None
    }
}

/// The body stream's error when the server's shutdown grace period ran out
/// while the body was still arriving; the upload handler aborts the upload.
#[derive(Debug, thiserror::Error)]
#[error("the server is shutting down")]
pub struct ServerStopping;

impl ServerStopping {
    pub fn is_cause_of(error: &(dyn std::error::Error + 'static)) -> bool {
        let mut current = Some(error);
        while let Some(e) = current {
            if e.is::<ServerStopping>() {
                return true;
            }
            current = e.source();
        }
        false
    }
}

/// What bounds a request body while it arrives.
#[derive(Debug, Clone)]
pub struct BodyLimits {
    /// The longest wait for the next piece.
    pub idle: Duration,
    /// Fires when the shutdown grace period is over: bodies still arriving
    /// fail with `ServerStopping`.
    pub cut_off: CancellationToken,
}

/// Middleware: each wait for the next piece of the request body is bounded
/// by `idle`. Time the server spends not reading (e.g. writing to the
/// object store) does not count against the client. Once the shutdown
/// grace period is over, the body ends with an error instead, so the
/// upload handler aborts the upload the way it does any failed one.
pub async fn idle_body_timeout(
    State(limits): State<BodyLimits>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let BodyLimits { idle, cut_off } = limits;
    let chunks = futures::stream::unfold(Some(body.into_data_stream()), move |inner| {
        let cut_off = cut_off.clone();
        async move {
            let mut inner = inner?;
            tokio::select! {
                next = tokio::time::timeout(idle, inner.next()) => match next {
                    Ok(Some(chunk)) => Some((chunk.map_err(BoxError::from), Some(inner))),
                    Ok(None) => None,
                    Err(_) => Some((Err(BoxError::from(BodyIdle(idle))), None)),
                },
                () = cut_off.cancelled() => Some((Err(BoxError::from(ServerStopping)), None)),
            }
        }
    });
    next.run(Request::from_parts(parts, Body::from_stream(chunks)))
        .await
}

/// Uploads in progress, bounded by `INGEST_MAX_CONCURRENT_UPLOADS`.
#[derive(Debug, Clone)]
pub struct UploadSlots(Arc<Semaphore>);

impl UploadSlots {
    pub fn new(max: usize) -> Self {
        Self(Arc::new(Semaphore::new(max.max(1))))
    }
}

/// Held by an upload handler for as long as it runs; a request that finds
/// no free slot is answered `429` at once.
#[derive(Debug)]
pub struct UploadPermit(#[allow(dead_code)] OwnedSemaphorePermit);

/// Seconds a refused client is asked to wait: uploads take a while.
const RETRY_AFTER_SECS: u64 = 5;

impl FromRequestParts<AppState> for UploadPermit {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let slots = &state.upload_slots.0;
        Arc::clone(slots)
            .try_acquire_owned()
            .map(Self)
            .map_err(|_| ApiError::too_many_uploads(state.max_concurrent_uploads, RETRY_AFTER_SECS))
    }
}

/// Where local-store uploads land and how much room they must leave.
#[derive(Debug, Clone)]
pub struct DiskGuard {
    pub path: std::path::PathBuf,
    pub min_free: u64,
}

/// Proof that the local disk had room for the upload when it began: the
/// declared `Content-Length` plus the configured reserve. (Uploads to S3
/// need no local room and always pass.)
#[derive(Debug)]
pub struct DiskRoom;

impl FromRequestParts<AppState> for DiskRoom {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let Some(guard) = &state.disk_guard else {
            return Ok(Self);
        };
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        let needed = guard.min_free.saturating_add(declared);
        let path = guard.path.clone();
        let available = tokio::task::spawn_blocking(move || fs4::available_space(path))
            .await
            .map_err(ApiError::internal)?
            .map_err(|e| ApiError::internal(format!("cannot read the free disk space: {e}")))?;
        if available < needed {
            return Err(ApiError::insufficient_storage(available, needed));
        }
        Ok(Self)
    }
}
