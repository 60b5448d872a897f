use tracing_subscriber::{fmt, EnvFilter};

/// Logs to stderr; `RUST_LOG` filters, `INGEST_LOG_FORMAT=json` for machines.
pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new("info,sqlx=warn,aws_config=warn,aws_smithy_runtime=warn,tower_http=info")
    });
    let json = std::env::var("INGEST_LOG_FORMAT").is_ok_and(|f| f == "json");
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let result = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
    // A second init (tests) keeps the first subscriber.
    drop(result);
}

/// How often the Prometheus recorder folds histogram samples into their
/// buckets when nobody scrapes (each scrape does it too): keeps memory flat.
const METRICS_UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The process's Prometheus recorder, installed as the global `metrics`
/// recorder on first use (metrics are per process, like the workers they
/// count); `GET /metrics` renders its handle.
pub fn metrics() -> &'static metrics_exporter_prometheus::PrometheusHandle {
    use ingest_pipeline::metrics::{describe, STAGE_BUCKETS, STAGE_SECONDS};
    use metrics_exporter_prometheus::{Matcher, PrometheusBuilder};
    static HANDLE: std::sync::OnceLock<metrics_exporter_prometheus::PrometheusHandle> =
        std::sync::OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = builder
            .set_buckets_for_metric(Matcher::Full(STAGE_SECONDS.into()), STAGE_BUCKETS)
            .unwrap_or_else(|_| PrometheusBuilder::new()); // only fails for no buckets
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(error) = ::metrics::set_global_recorder(recorder) {
            tracing::warn!(%error, "another metrics recorder is installed; /metrics stays empty");
        }
        describe();
        let upkeep = handle.clone();
        let spawned = std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || loop {
                std::thread::sleep(METRICS_UPKEEP_EVERY);
                upkeep.run_upkeep();
            });
        if let Err(error) = spawned {
            tracing::warn!(%error, "no metrics upkeep thread; histograms are folded at each scrape only");
        }
        handle
    })
}
