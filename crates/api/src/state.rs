use std::{path::PathBuf, sync::Arc};

use ingest_domain::Faults;
use ingest_pipeline::{Pipeline, Sink};
use ingest_storage::{ObjectStore, TaskStore, TokenStore};

use crate::{auth::Auth, backends::Backends, config::Settings};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub tasks: Arc<dyn TaskStore>,
    pub objects: Arc<dyn ObjectStore>,
    pub sink: Arc<dyn Sink>,
    pub pipeline: Arc<Pipeline>,
    pub max_upload_bytes: u64,
    /// The built dashboard, when there is one.
    pub frontend_dir: Option<PathBuf>,
    pub tokens: Arc<dyn TokenStore>,
    /// Tokens, scopes and the origin rules.
    pub auth: Arc<Auth>,
    /// Workers this server was started with (health turns red when none of
    /// them is live).
    pub workers: usize,
    /// Test aid: `INGEST_FAULT`.
    pub faults: Faults,
}

impl AppState {
    pub fn new(
        backends: Backends,
        pipeline: Arc<Pipeline>,
        settings: &Settings,
        auth: Arc<Auth>,
    ) -> Self {
        let frontend_dir =
            Some(settings.frontend_dir.clone()).filter(|dir| dir.join("index.html").is_file());
        Self {
            tasks: backends.tasks,
            objects: backends.objects,
            sink: backends.sink,
            tokens: backends.tokens,
            pipeline,
            max_upload_bytes: settings.max_upload_bytes,
            frontend_dir,
            auth,
            workers: settings.workers,
            faults: settings.fault.clone().unwrap_or_default(),
        }
    }
}
