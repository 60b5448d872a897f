//! Misconfiguration is caught, not hidden: Druid overlords started from the
//! shipped configuration with ONE wrong S3 setting each
//! (scripts/stack/druid-broken.properties, `druid-broken` in STACK_SERVICES).
//! The upload fails fast at the preflight with Druid's own words and a hint
//! naming the setting, no Druid task is created, and both `ingest doctor` and
//! `/api/health` name the same setting. Against the real Druid, both are green.

use std::process::Output;

use ingest_domain::{Task, TaskStatus};

use crate::helpers::{
    data_csv, fresh_postgres_url, only_druid_at, required_env, Backends, TestApp,
};

/// One deliberately broken Druid and what a person must be told about it.
struct Broken {
    url_env: &'static str,
    /// Words from Druid's own error that must reach the user.
    druid_says: &'static str,
    /// The druid/environment setting the hint must name.
    setting: &'static str,
}

const BROKEN: [Broken; 2] = [
    Broken {
        url_env: "DRUID_URL_BROKEN_ENDPOINT",
        druid_says: "Connection refused",
        setting: "druid_s3_endpoint_url",
    },
    Broken {
        url_env: "DRUID_URL_BROKEN_CREDENTIALS",
        druid_says: "SignatureDoesNotMatch",
        setting: "druid_s3_secretKey",
    },
];

async fn upload_to(druid_url: &str, datasource: &str) -> Task {
    let app = TestApp::spawn_with(Backends::Druid, |s| {
        only_druid_at(s, druid_url.to_owned());
    })
    .await;
    let response = app.upload_bytes("data.csv", data_csv(), datasource).await;
    assert_eq!(response.status().as_u16(), 202);
    let body: serde_json::Value = response.json().await.expect("JSON");
    app.run_workers().await;
    app.task(body["task_id"].as_str().expect("id")).await
}

/// Druid's task list for a datasource, straight from the overlord.
async fn druid_tasks(druid_url: &str, datasource: &str) -> Vec<serde_json::Value> {
    let response = reqwest::get(format!(
        "{druid_url}/druid/indexer/v1/tasks?datasource={datasource}"
    ))
    .await
    .expect("overlord answers");
    assert!(response.status().is_success(), "{}", response.status());
    response.json().await.expect("task list")
}

#[tokio::test]
async fn a_wrong_s3_setting_fails_the_preflight_with_druids_words_and_the_setting() {
    for broken in &BROKEN {
        let druid_url = required_env(broken.url_env);
        let datasource = format!("broken_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
        let task = upload_to(&druid_url, &datasource).await;

        assert_eq!(task.status(), TaskStatus::Failed, "{}", broken.url_env);
        let error = task.error.as_ref().expect("an error");
        assert_eq!(error.code, "druid_cannot_read_input", "{error:?}");
        assert!(
            error.message.contains(broken.druid_says),
            "Druid's own message reaches the user: {}",
            error.message
        );
        let hint = error.hint.as_deref().unwrap_or_default();
        assert!(
            hint.contains(broken.setting),
            "the hint names {}: {hint}",
            broken.setting
        );
        assert_eq!(task.attempts, 1, "a configuration error is not retried");
        assert!(task.druid.is_none(), "nothing was submitted to Druid");
        assert_eq!(task.row_count, None, "no rows are claimed as ingested");
        let report = task.validation.as_ref().expect("validation ran first");
        assert_eq!(report.rows_accepted, 1200);
        assert!(
            druid_tasks(&druid_url, &datasource).await.is_empty(),
            "no Druid task was created, so none is left running"
        );
    }
}

/// Runs the real `ingest doctor` binary against the stack: the real Druid
/// (DRUID_URL and, when the stack sets them, the direct Overlord and
/// Coordinator URLs) or, given `broken`, that one overlord alone.
fn doctor(database_url: &str, broken: Option<&str>) -> Output {
    let data_dir = tempfile::tempdir().expect("dir");
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_ingest"));
    command.arg("doctor").env_clear();
    match broken {
        Some(url) => {
            command.env("DRUID_URL", url);
        }
        None => {
            command.env("DRUID_URL", required_env("DRUID_URL"));
            for direct in ["DRUID_OVERLORD_URL", "DRUID_COORDINATOR_URL"] {
                if let Ok(url) = std::env::var(direct) {
                    command.env(direct, url);
                }
            }
        }
    }
    command
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("INGEST_DATA_DIR", data_dir.path())
        .env("DATABASE_URL", database_url)
        .env("S3_BUCKET", required_env("S3_BUCKET"))
        .env("S3_ENDPOINT", required_env("S3_ENDPOINT"))
        .env("S3_REGION", required_env("S3_REGION"))
        .env("AWS_ACCESS_KEY_ID", required_env("AWS_ACCESS_KEY_ID"))
        .env(
            "AWS_SECRET_ACCESS_KEY",
            required_env("AWS_SECRET_ACCESS_KEY"),
        )
        .output()
        .expect("ingest doctor runs")
}

#[tokio::test]
async fn doctor_is_green_against_the_real_druid_and_names_the_broken_setting() {
    let database_url = fresh_postgres_url().await;

    let good = doctor(&database_url, None);
    let out = String::from_utf8_lossy(&good.stdout);
    assert!(
        good.status.success(),
        "doctor against the real stack:\n{out}"
    );
    assert!(!out.contains('✗'), "{out}");
    assert!(out.contains("✓ druid reads our bucket"), "{out}");
    assert!(out.contains("✓ druid task slots"), "{out}");

    for broken in &BROKEN {
        let bad = doctor(&database_url, Some(&required_env(broken.url_env)));
        let out = String::from_utf8_lossy(&bad.stdout);
        assert_eq!(bad.status.code(), Some(1), "{}:\n{out}", broken.url_env);
        assert!(
            out.contains("✓ druid-s3-extensions"),
            "the extension is loaded; the fault is elsewhere:\n{out}"
        );
        let failed = out
            .split("✗ ")
            .nth(1)
            .unwrap_or_else(|| panic!("a failed check:\n{out}"));
        assert!(failed.starts_with("druid reads our bucket"), "{out}");
        assert!(failed.contains(broken.druid_says), "{out}");
        assert!(failed.contains(broken.setting), "{out}");
        assert!(
            !out.contains(&required_env("AWS_SECRET_ACCESS_KEY")),
            "no secret in the output"
        );
    }
}

/// The `druid` check of `/api/health` (what the dashboard's indicator shows).
async fn druid_check(app: &TestApp) -> (u16, serde_json::Value) {
    let (status, body) = app.get_json("/api/health").await;
    let check = body["checks"]
        .as_array()
        .and_then(|checks| checks.iter().find(|c| c["name"] == "druid"))
        .cloned()
        .unwrap_or_else(|| panic!("a druid check: {body}"));
    (status, check)
}

#[tokio::test]
async fn health_is_green_against_the_real_druid_and_red_with_the_setting_to_fix() {
    let app = TestApp::spawn(Backends::Druid).await;
    let (status, check) = druid_check(&app).await;
    assert_eq!((status, &check["ok"]), (200, &true.into()), "{check}");

    for broken in &BROKEN {
        let app = TestApp::spawn_with(Backends::Druid, |s| {
            only_druid_at(s, required_env(broken.url_env));
        })
        .await;
        let (status, check) = druid_check(&app).await;
        assert_eq!(status, 503, "{check}");
        assert_eq!(check["ok"], false);
        let error = check["error"].as_str().unwrap_or_default();
        assert!(error.contains("cannot read uploads from S3"), "{error}");
        assert!(error.contains(broken.druid_says), "{error}");
        assert!(error.contains(broken.setting), "{error}");
    }
}

#[tokio::test]
async fn after_fixing_the_setting_a_retry_lands_the_upload_in_druid() {
    // One database and one S3 prefix, seen first by a server whose Druid has
    // the wrong endpoint, then by one with the right configuration.
    let database_url = fresh_postgres_url().await;
    let prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
    // `broken`: that overlord alone; None: the real Druid as the stack says.
    let shared = |broken: Option<String>| {
        let (database_url, prefix) = (database_url.clone(), prefix.clone());
        move |s: &mut ingest_api::Settings| {
            if let Some(url) = broken {
                only_druid_at(s, url);
            }
            s.database_url = Some(database_url.parse().expect("url"));
            s.s3_prefix = prefix;
        }
    };
    let datasource = format!(
        "retried_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    );

    let broken = TestApp::spawn_with(
        Backends::Druid,
        shared(Some(required_env("DRUID_URL_BROKEN_ENDPOINT"))),
    )
    .await;
    let failed = broken.ingest("data.csv", data_csv(), &datasource).await;
    assert_eq!(failed.status(), TaskStatus::Failed);
    drop(broken);

    let fixed = TestApp::spawn_with(Backends::Druid, shared(None)).await;
    let id = failed.task_id.to_string();
    let response = fixed.post(&format!("/api/ingest/tasks/{id}/retry")).await;
    assert_eq!(response.status().as_u16(), 202);
    fixed.run_workers().await;
    let task = fixed.task(&id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    let druid = task.druid.as_ref().expect("Druid state");
    assert_eq!(druid.task_id, format!("ingest-{id}-retry1"));
    assert_eq!(druid.rows_in_druid, Some(1200));
    assert_eq!(task.row_count, Some(1200));
    assert!(task.error.is_none());
}
