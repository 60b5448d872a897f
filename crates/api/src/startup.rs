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
    header_read_timeout: Duration,
}

impl Application {
    /// Opens the backends and binds the listener; nothing runs yet.
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
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
        config.faults = settings.fault.clone().unwrap_or_default();
        config.limits = (&settings.validation).into();
        if !config.faults.to_string().is_empty() {
            tracing::warn!(faults = %config.faults, "INGEST_FAULT is set: this process will panic or abort on purpose (a test aid)");
        }
        let pipeline = Arc::new(Pipeline::new(
            Arc::clone(&backends.tasks),
            Arc::clone(&backends.objects),
            Arc::clone(&backends.sink),
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

    /// Serves until the stop token fires (or SIGINT/SIGTERM when `signals`),
    /// then lets in-flight requests finish and stops the workers.
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
        let app = routes::router(self.state.clone());
        tracing::info!(address = %self.address, workers = self.workers, "listening");
        crate::serve::serve(self.listener, app, self.header_read_timeout, stop.clone()).await;
        stop.cancel();
        for worker in workers {
            worker.await.ok();
        }
        Ok(())
    }
}

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
