//! `Idempotency-Key` on uploads: a client that retries a POST whose answer
//! it never received gets the original task back instead of a second copy.
//! The key is reserved before the body is read (a concurrent duplicate gets
//! `409 idempotency_key_in_use`), and recorded with the task in one
//! transaction; a retry's stored object is deleted by the caller.

use axum::{
    extract::FromRequestParts,
    http::{request::Parts, HeaderMap},
};
use chrono::{Duration, Utc};
use ingest_domain::{Task, TaskId};
use ingest_storage::KeyRecord;
use serde_json::json;

use crate::{error::ApiError, state::AppState};

pub const HEADER: &str = "idempotency-key";
/// Longest accepted key (clients send UUIDs).
const MAX_KEY_LEN: usize = 255;
/// An in-flight reservation older than this was left by a crash.
const STALE_AFTER: Duration = Duration::hours(1);

/// What the upload's key says before its body is read.
pub enum Reservation {
    /// No key sent.
    None,
    /// This upload now holds the key.
    Held(String),
    /// The key already stands for a task: the upload is a retry.
    Taken(KeyRecord),
}

/// Reserved by the upload handler's extractors, before the body is read.
impl FromRequestParts<AppState> for Reservation {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        reserve(state, &parts.headers).await
    }
}

/// Parses the header and reserves the key.
pub async fn reserve(state: &AppState, headers: &HeaderMap) -> Result<Reservation, ApiError> {
    let Some(raw) = headers.get(HEADER) else {
        return Ok(Reservation::None);
    };
    let key = raw
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_KEY_LEN)
        .ok_or_else(|| {
            ApiError::bad_request(
                "invalid_idempotency_key",
                format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} visible ASCII characters"),
            )
        })?
        .to_owned();
    match state.tasks.reserve_key(&key, Utc::now() - STALE_AFTER).await? {
        None => Ok(Reservation::Held(key)),
        Some(KeyRecord { task_id: None, .. }) => Err(ApiError::conflict(
            "idempotency_key_in_use",
            "an upload with this Idempotency-Key is still arriving; retry once it has been answered",
        )),
        Some(record) => Ok(Reservation::Taken(record)),
    }
}

/// Records the new task; for a retry (`Taken`) returns the original task's
/// id instead (the same content) or refuses (other content: 422).
pub async fn record(
    state: &AppState,
    reservation: &Reservation,
    task: &Task,
) -> Result<Option<TaskId>, ApiError> {
    let record = match reservation {
        Reservation::None => {
            state.tasks.insert(task).await?;
            return Ok(None);
        }
        Reservation::Held(key) => {
            state.tasks.insert_keyed(task, key).await?;
            return Ok(None);
        }
        Reservation::Taken(record) => record,
    };
    let same = record.sha256.as_deref() == Some(task.sha256.as_str())
        && record.datasource.as_deref() == Some(task.datasource.as_str())
        && record.mode.as_deref() == Some(task.mode.to_string().as_str());
    if same {
        return Ok(record.task_id);
    }
    Err(ApiError::unprocessable(
        "idempotency_key_reused",
        "this Idempotency-Key was used for a different upload (file, datasource or mode); send a new key for new content",
    )
    .with_details(json!({ "task_id": record.task_id })))
}

/// Lets go of a held key whose upload was rejected, so a retry may use it.
pub async fn forget(state: &AppState, reservation: &Reservation) {
    if let Reservation::Held(key) = reservation {
        if let Err(e) = state.tasks.forget_key(key).await {
            tracing::warn!(error = %e, "could not forget the idempotency key of a rejected upload");
        }
    }
}
