//! Wiring: backends, workers and the HTTP server, bound before it runs so
//! callers (and tests on port 0) learn the real address.

use std::{net::SocketAddr, sync::Arc, time::Duration};

use ingest_pipeline::{Pipeline, PipelineConfig};
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::{auth, backends, config::Settings, routes, state::AppState};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Backend(#[from] backends::BackendError),
    #[error(transparent)]
    Auth(#[from] auth::AuthConfigError),
    #[error("cannot listen on {addr}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

pub struct Application {
    listener: TcpListener,
    address: SocketAddr,
    state: AppState,
    workers: usize,
    stop: CancellationToken,
    /// How long uploads may go on arriving after the stop.
    grace: Duration,
    /// Time between reaper passes; `None`: no reaper.
    reaper_every: Option<Duration>,
    header_read_timeout: Duration,
}

impl Application {
    /// Opens the backends and binds the listener; nothing runs yet.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        crate::telemetry::metrics(); // recording starts before the first scrape
        let backends = backends::build(&settings).await?;
        let auth = Arc::new(auth::Auth::new(
            Arc::clone(&backends.tokens),
            &settings.auth,
            settings.listen,
        )?);
        auth.check_startup(settings.listen).await?;
        let mut config = PipelineConfig::new(settings.data_dir.join("work"));
        config.lease = Duration::from_secs(settings.task_lease_secs.max(1));
        config.max_attempts = settings.task_max_attempts.max(1);
        config.retry_base = Duration::from_millis(settings.task_retry_base_ms);
        config.progress_interval = Duration::from_millis(settings.progress_interval_ms.max(50));
        config.faults = settings.fault.clone().unwrap_or_default();
        config.limits = (&settings.validation).into();
        config.validation_parallelism = settings.validation_threads.parallelism();
        if !config.faults.to_string().is_empty() {
            tracing::warn!(faults = %config.faults, "INGEST_FAULT is set: this process will panic or abort on purpose (a test aid)");
        }
        let pipeline = Arc::new(Pipeline::new(
            Arc::clone(&backends.tasks),
            Arc::clone(&backends.objects),
            &backends.sinks,
            config,
        ));
        let listener =
            TcpListener::bind(settings.listen)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: settings.listen,
                    source,
                })?;
        let address = listener.local_addr().map_err(|source| StartupError::Bind {
            addr: settings.listen,
            source,
        })?;
        let state = AppState::new(backends, pipeline, &settings, auth);
        Ok(Self {
            listener,
            address,
            state,
            workers: settings.workers,
            stop: CancellationToken::new(),
            grace: Duration::from_secs(settings.lifecycle.shutdown_grace_secs),
            reaper_every: Some(settings.lifecycle.reaper_interval_secs)
                .filter(|secs| *secs > 0)
                .map(Duration::from_secs),
            header_read_timeout: Duration::from_secs(settings.http.header_read_timeout_secs.max(1)),
        })
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Stops the server and its workers when cancelled.
    pub fn stop_token(&self) -> CancellationToken {
        self.stop.clone()
    }

    /// Serves until the stop token fires (or SIGINT/SIGTERM when `signals`).
    /// Then the workers hand their tasks back at once (see
    /// `ingest_pipeline::Pipeline::shut_down`), and requests in flight get
    /// the grace period to finish: uploads still arriving after it are cut
    /// off and leave nothing behind.
    pub async fn run(self, signals: bool) -> Result<(), StartupError> {
        let stop = self.stop.clone();
        if signals {
            let on_signal = stop.clone();
            tokio::spawn(async move {
                shutdown_signal().await;
                tracing::info!("shutting down");
                on_signal.cancel();
            });
        }
        let workers = self
            .state
            .pipeline
            .spawn_workers(self.workers, stop.clone());
        if let Some(every) = self.reaper_every {
            Arc::clone(&self.state.reaper).spawn(every, stop.clone());
        }
        let app = routes::router(self.state.clone());
        tracing::info!(address = %self.address, workers = self.workers, "listening");
        let cut_off = self.state.uploads_cut_off.clone();
        let (grace, on_stop) = (self.grace, stop.clone());
        let cutting = cut_off.clone();
        tokio::spawn(async move {
            on_stop.cancelled().await;
            tokio::time::sleep(grace).await;
            cutting.cancel();
        });
        let serving =
            crate::serve::serve(self.listener, app, self.header_read_timeout, stop.clone());
        tokio::select! {
            () = serving => {}
            // A cut-off upload answers at once; anything still running
            // after this is not waited for.
            () = async {
                cut_off.cancelled().await;
                tokio::time::sleep(AFTER_CUT_OFF).await;
            } => {
                tracing::warn!("requests still running after the shutdown grace period; stopping anyway");
            }
        }
        stop.cancel();
        let joined = futures::future::join_all(workers);
        if tokio::time::timeout(grace, joined).await.is_err() {
            // Past their commit point: their leases run out and another
            // server finishes them, as after a crash.
            tracing::warn!("workers still finishing committed tasks after the grace period; leaving them to their leases");
        }
        Ok(())
    }
}

/// How long requests may go on once uploads are cut off (time to answer).
const AFTER_CUT_OFF: Duration = Duration::from_secs(5);

async fn shutdown_signal() {
    let ctrl_c = async {
        tokio::signal::ctrl_c().await.ok();
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}
