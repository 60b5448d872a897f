//! Previews parse files nobody has checked inside a request: this bounds
//! how many parse at once (a request that finds no free slot is refused
//! before its body is read), the size of what they take and how long they
//! may parse. The parsing itself runs under validation's `Limits`.

use std::{sync::Arc, time::Duration};

use axum::{extract::FromRequestParts, http::request::Parts};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::{config::Settings, error::ApiError, state::AppState};

/// Seconds a refused client is asked to wait: a preview takes seconds.
const RETRY_AFTER_SECS: u64 = 2;

#[derive(Debug, Clone)]
pub struct PreviewGate {
    slots: Arc<Semaphore>,
    pub max_concurrent: usize,
    /// `INGEST_MAX_PREVIEW_BYTES`.
    pub max_bytes: u64,
    /// `INGEST_PREVIEW_TIMEOUT_SECS`.
    pub timeout: Duration,
    /// The same limits as a task's validation.
    pub limits: ingest_validation::Limits,
    /// The same threads as a task's validation (`INGEST_VALIDATION_THREADS`):
    /// a server told to validate on one core previews on one too.
    pub parallelism: ingest_validation::Parallelism,
}

impl PreviewGate {
    pub fn new(settings: &Settings) -> Self {
        let preview = &settings.http.preview;
        let max_concurrent = preview.max_concurrent_previews.max(1);
        Self {
            slots: Arc::new(Semaphore::new(max_concurrent)),
            max_concurrent,
            max_bytes: preview.max_preview_bytes,
            timeout: Duration::from_secs(preview.preview_timeout_secs.max(1)),
            limits: (&settings.validation).into(),
            parallelism: settings.validation_threads.parallelism(),
        }
    }
}

impl PreviewGate {
    /// Previews holding a slot now.
    pub fn running(&self) -> usize {
        self.max_concurrent - self.slots.available_permits()
    }
}

/// Held by a preview for as long as it runs, parsing included.
#[derive(Debug)]
pub struct PreviewPermit(#[allow(dead_code)] OwnedSemaphorePermit);

impl FromRequestParts<AppState> for PreviewPermit {
    type Rejection = ApiError;

    async fn from_request_parts(_: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let gate = &state.preview;
        Arc::clone(&gate.slots)
            .try_acquire_owned()
            .map(Self)
            .map_err(|_| ApiError::too_many_previews(gate.max_concurrent, RETRY_AFTER_SECS))
    }
}
