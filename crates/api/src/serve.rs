//! The HTTP accept loop: `axum::serve` with one addition it cannot be
//! configured for, a deadline on reading a request's headers (a client that
//! opens a connection and trickles its request line is cut off, instead of
//! holding a connection and a task forever). Bodies have their own idle
//! timeout (`http_limits`). On stop, the listener closes, open connections
//! finish their current request, then this returns.

use std::time::Duration;

use axum::Router;
use hyper_util::{
    rt::{TokioExecutor, TokioIo, TokioTimer},
    server::conn::auto::Builder,
    service::TowerToHyperService,
};
use tokio::{net::TcpListener, sync::watch};
use tokio_util::sync::CancellationToken;

/// Serves `app` on `listener` until `stop` fires, then drains connections.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    header_read_timeout: Duration,
    stop: CancellationToken,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    // Every connection holds a receiver of `shutdown`; once all of them are
    // dropped, every connection has ended.
    let (shutdown, open) = watch::channel(false);
    loop {
        let stream = tokio::select! {
            () = stop.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait, as axum
                    // does, rather than spin.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            },
        };
        let service = TowerToHyperService::new(app.clone());
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let mut stopping = open.clone();
        tokio::spawn(async move {
            let mut connection = std::pin::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                _ = stopping.changed() => connection.as_mut().graceful_shutdown(),
            }
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    drop(open);
    shutdown.send_replace(true);
    shutdown.closed().await;
}
