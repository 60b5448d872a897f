use std::{path::PathBuf, sync::Arc, time::Duration};

use ingest_domain::Faults;
use ingest_pipeline::{Pipeline, Reaper, ReaperConfig, Sinks};
use ingest_storage::{ObjectStore, TaskStore, TokenStore};
use tokio_util::sync::CancellationToken;

use crate::{
    auth::Auth,
    backends::Backends,
    config::Settings,
    http_limits::{DiskGuard, UploadSlots},
    preview_gate::PreviewGate,
};

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub tasks: Arc<dyn TaskStore>,
    pub objects: Arc<dyn ObjectStore>,
    /// The sink by role: the read path uses `sinks.query`, never the
    /// ingest side.
    pub sinks: Sinks,
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
    /// Uploads received at once (`INGEST_MAX_CONCURRENT_UPLOADS`).
    pub upload_slots: UploadSlots,
    pub max_concurrent_uploads: usize,
    /// How long a request body may send nothing (`INGEST_UPLOAD_IDLE_TIMEOUT_SECS`).
    pub upload_idle_timeout: Duration,
    /// Set when uploads are kept on the local disk.
    pub disk_guard: Option<DiskGuard>,
    /// Fires when the shutdown grace period is over: uploads still arriving
    /// are cut off (`INGEST_SHUTDOWN_GRACE_SECS`).
    pub uploads_cut_off: CancellationToken,
    /// Removes what crashes leave behind; its counts are for metrics.
    pub reaper: Arc<Reaper>,
    /// Bounds on previews (`INGEST_MAX_PREVIEW_BYTES`, …).
    pub preview: Arc<PreviewGate>,
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
        let disk_guard = (backends.objects.backend() == "local").then(|| DiskGuard {
            path: settings.data_dir.clone(),
            min_free: settings.http.min_free_disk_bytes,
        });
        let idle = settings.http.upload_idle_timeout_secs.max(1);
        let reaper = Arc::new(Reaper::new(
            Arc::clone(&backends.tasks),
            Arc::clone(&backends.objects),
            ReaperConfig {
                work_dir: settings.data_dir.join("work"),
                sink_dir: (backends.sinks.probe.backend() == "parquet")
                    .then(|| settings.data_dir.join("datasources")),
                // Never near an upload still arriving (see `Lifecycle`).
                min_age: Duration::from_secs(settings.lifecycle.reaper_min_age_secs.max(10 * idle)),
            },
        ));
        Self {
            reaper,
            disk_guard,
            tasks: backends.tasks,
            objects: backends.objects,
            sinks: backends.sinks,
            tokens: backends.tokens,
            pipeline,
            max_upload_bytes: settings.max_upload_bytes,
            frontend_dir,
            auth,
            workers: settings.workers,
            faults: settings.fault.clone().unwrap_or_default(),
            upload_slots: UploadSlots::new(settings.http.max_concurrent_uploads),
            max_concurrent_uploads: settings.http.max_concurrent_uploads.max(1),
            upload_idle_timeout: Duration::from_secs(settings.http.upload_idle_timeout_secs.max(1)),
            uploads_cut_off: CancellationToken::new(),
            preview: Arc::new(PreviewGate::new(settings)),
        }
    }
}
