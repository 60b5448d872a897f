use std::process::ExitCode;

use std::sync::Arc;

use ingest_druid::DruidClient;
use ingest_pipeline::{druid_hint, DruidSink};

use crate::{backends, config::Settings, error::error_chain};

fn line(ok: bool, what: &str, detail: &str) {
    println!("{} {what}: {detail}", if ok { "✓" } else { "✗" });
}

/// Checks each configured backend on its own and says what to fix.
pub async fn doctor(settings: Settings) -> anyhow::Result<ExitCode> {
    let mut healthy = true;
    match backends::task_store(&settings).await {
        Ok(store) => match store.health().await {
            Ok(()) => line(true, "database", store.backend()),
            Err(e) => {
                healthy = false;
                line(false, "database", &error_chain(&e));
            }
        },
        Err(e) => {
            healthy = false;
            line(
                false,
                "database",
                &format!("{}; check DATABASE_URL", error_chain(&e)),
            );
        }
    }
    match backends::object_store(&settings).await {
        Ok(store) => match store.health().await {
            Ok(()) => line(true, "object store", store.backend()),
            Err(e) => {
                healthy = false;
                line(
                    false,
                    "object store",
                    &format!(
                        "{}; check S3_BUCKET, S3_ENDPOINT and the AWS_* credentials",
                        error_chain(&e)
                    ),
                );
            }
        },
        Err(e) => {
            healthy = false;
            line(false, "object store", &error_chain(&e));
        }
    }
    match backends::druid_client(&settings) {
        Ok(None) => line(true, "sink", "local Parquet files (DRUID_URL is not set)"),
        Ok(Some(client)) => healthy &= druid_checks(&settings, &client).await,
        Err(e) => {
            healthy = false;
            line(false, "druid", &error_chain(&e));
        }
    }
    Ok(if healthy {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// Extensions ingestion needs (uploads are handed to Druid as JSON lines, so
/// no Parquet extension).
const REQUIRED_EXTENSIONS: &[&str] = &["druid-s3-extensions"];

/// Druid answers, has the extensions we need, and can read our bucket.
async fn druid_checks(settings: &Settings, client: &DruidClient) -> bool {
    let client = client.clone().with_attempts(1);
    if let Err(e) = client.healthy().await {
        line(
            false,
            "druid",
            &format!(
                "{e}; check DRUID_URL (the router, e.g. http://127.0.0.1:8888) and, when set, DRUID_OVERLORD_URL and DRUID_COORDINATOR_URL"
            ),
        );
        return false;
    }
    line(true, "druid", &client.urls().to_string());
    let extensions = match client.loaded_extensions().await {
        Ok(extensions) => extensions,
        Err(e) => {
            line(false, "druid extensions", &e.to_string());
            return false;
        }
    };
    let mut ok = true;
    for &needed in REQUIRED_EXTENSIONS {
        let loaded = extensions.iter().any(|e| e == needed);
        ok &= loaded;
        let detail = if loaded {
            "loaded".to_owned()
        } else {
            format!(
                "not loaded: add \"{needed}\" to druid_extensions_loadList in druid/environment"
            )
        };
        line(loaded, needed, &detail);
    }
    match probe_read(settings, &client).await {
        Ok(()) => line(
            true,
            "druid reads our bucket",
            "the sampler read a probe file from S3",
        ),
        Err(message) => {
            ok = false;
            line(false, "druid reads our bucket", &message);
        }
    }
    ok &= task_slots(settings, &client).await;
    ok
}

/// Druid has worker slots for this server's Druid tasks and their subtasks
/// (druid/README.md, "Parallel ingestion"). Too few to run them at full
/// speed is said; as few as the tasks themselves can deadlock: a failure.
async fn task_slots(settings: &Settings, client: &DruidClient) -> bool {
    let slots = match client.worker_capacity().await {
        Ok(slots) => slots,
        Err(e) => {
            line(false, "druid task slots", &e.to_string());
            return false;
        }
    };
    let (tasks, subtasks) = (
        u64::from(settings.druid.max_concurrent_tasks),
        u64::from(settings.druid.max_subtasks),
    );
    let full = tasks * (1 + subtasks);
    let need = format!(
        "INGEST_DRUID_MAX_CONCURRENT_TASKS={tasks} × (1 + INGEST_DRUID_MAX_SUBTASKS={subtasks}) = {full}"
    );
    let fix =
        "raise druid_worker_capacity or lower those (druid/README.md, \"Parallel ingestion\")";
    if slots >= full {
        line(
            true,
            "druid task slots",
            &format!("{slots}, at least {need}"),
        );
        true
    } else if slots > tasks {
        line(
            true,
            "druid task slots",
            &format!("{slots}, fewer than {need}: big uploads read fewer parts at once; {fix}"),
        );
        true
    } else {
        line(
            false,
            "druid task slots",
            &format!("{slots}: this server's Druid tasks can hold every slot while their subtasks wait for one, for ever; {need} are needed; {fix}"),
        );
        false
    }
}

/// Writes a tiny normalized file to the bucket and asks Druid's sampler to
/// read it, exactly as an ingestion would.
async fn probe_read(settings: &Settings, client: &DruidClient) -> Result<(), String> {
    let objects = backends::object_store(settings)
        .await
        .map_err(|e| error_chain(&e))?;
    if objects.s3_location("probe").is_none() {
        return Err(
            "the object store is a local folder; Druid needs S3_BUCKET and S3_ENDPOINT".into(),
        );
    }
    let sink = DruidSink::new(
        client.clone(),
        Arc::clone(&objects),
        backends::druid_sink_config(settings),
    );
    sink.probe().await.map_err(|e| match &e.hint {
        Some(hint) => format!("{}\n    fix: {hint}", e.message),
        None => format!("{}\n    fix: {}", e.message, druid_hint(&e.message)),
    })
}
