//! Faults inflicted on purpose: a panic inside validation, `kill -9` of a
//! real `ingest serve` mid-validation, cancel → "Run again" races, and
//! concurrent replace/append. Each asserts what the store and the sink hold
//! afterwards: every upload ends once, and the sink holds its rows once.

use std::{process::Stdio, time::Duration};

use ingest_domain::{Task, TaskStatus};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::helpers::{csv_data_rows, data_csv, Backends, TestApp};

/// Polls the task until it ends (bounded: a hung task fails the test).
pub(crate) async fn wait_until_finished(client: &reqwest::Client, base: &str, id: &str) -> Task {
    for _ in 0..600 {
        let task: Task = client
            .get(format!("{base}/api/ingest/status/{id}"))
            .send()
            .await
            .expect("status")
            .json()
            .await
            .expect("task JSON");
        if task.status().is_terminal() {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("task {id} did not finish within a minute");
}

/// A fault point held with the hook's `pause=PATH` action: the work waits
/// there until the test calls `release` (once per hit), so a test acts
/// inside the window and then lets the work go on, instead of racing a sleep.
pub(crate) struct Pause {
    dir: tempfile::TempDir,
}

impl Pause {
    pub(crate) fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    fn file(&self) -> std::path::PathBuf {
        self.dir.path().join("release")
    }

    /// The `INGEST_FAULT` value holding `point` (`suffix`: "" or ":once").
    pub(crate) fn at(&self, point: &str, suffix: &str) -> ingest_domain::Faults {
        format!("{point}:pause={}{suffix}", self.file().display())
            .parse()
            .expect("fault")
    }

    /// Lets one held hit go on.
    pub(crate) fn release(&self) {
        std::fs::write(self.file(), b"").expect("release file");
    }
}

pub(crate) async fn upload(
    client: &reqwest::Client,
    base: &str,
    bytes: Vec<u8>,
    ds: &str,
    mode: &str,
) -> String {
    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name("data.csv"),
        )
        .text("datasource_name", ds.to_owned())
        .text("mode", mode.to_owned())
        // A replace here goes ahead without waiting for a person.
        .text("confirm", "true");
    let response = client
        .post(format!("{base}/api/ingest/upload"))
        .multipart(form)
        .send()
        .await
        .expect("upload sent");
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.expect("JSON");
    body["task_id"].as_str().expect("task id").to_owned()
}

pub(crate) async fn rows_in_sink(client: &reqwest::Client, base: &str, ds: &str) -> u64 {
    let body: Value = client
        .get(format!("{base}/api/datasources/{ds}"))
        .send()
        .await
        .expect("datasource")
        .json()
        .await
        .expect("JSON");
    body["row_count"].as_u64().unwrap_or(0)
}

async fn health(app: &TestApp) -> (u16, Value) {
    app.get_json("/api/health").await
}

#[tokio::test]
async fn a_panic_in_validation_fails_the_task_and_the_workers_live_on() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| {
        s.workers = 2;
        s.fault = Some("validation:panic:once".parse().expect("fault"));
    })
    .await;
    let (_, before) = health(&app).await;
    assert_eq!(before["workers"]["live"], 2, "{before}");

    let first = upload(&app.client, &app.url, data_csv(), "panics", "append").await;
    let failed = wait_until_finished(&app.client, &app.url, &first).await;
    assert_eq!(failed.status(), TaskStatus::Failed);
    let error = failed.error.expect("an error is recorded");
    assert_eq!(error.code, "internal_error");
    assert!(
        error.message.contains("injected fault at validation"),
        "{}",
        error.message
    );
    assert_eq!(failed.attempts, 1, "a panic is not retried");

    let (status, after) = health(&app).await;
    assert_eq!(
        (status, &after["workers"]["live"]),
        (200, &Value::from(2)),
        "{after}"
    );
    let second = upload(&app.client, &app.url, data_csv(), "panics", "append").await;
    let done = wait_until_finished(&app.client, &app.url, &second).await;
    assert_eq!(done.status(), TaskStatus::Succeeded, "{:?}", done.error);
    assert_eq!(done.rows_in, Some(csv_data_rows(&data_csv())));
}

/// A real `ingest serve` process and the base URL it answers on.
pub(crate) struct Server {
    pub(crate) child: tokio::process::Child,
    pub(crate) url: String,
}

async fn serve(data_dir: &std::path::Path, fault: Option<&str>) -> Server {
    serve_with(data_dir, fault, &[]).await
}

/// `serve` with more settings (`env` is applied last, so it may override
/// the defaults here, e.g. `INGEST_WORKERS` or `DATABASE_URL`).
pub(crate) async fn serve_with(
    data_dir: &std::path::Path,
    fault: Option<&str>,
    env: &[(&str, &str)],
) -> Server {
    let data = data_dir.display().to_string();
    let frontend = data_dir.join("no-frontend").display().to_string();
    let mut all = vec![
        ("INGEST_DATA_DIR", data.as_str()),
        ("INGEST_TASK_LEASE_SECS", "2"),
        ("INGEST_FRONTEND_DIR", frontend.as_str()),
    ];
    if let Some(fault) = fault {
        all.push(("INGEST_FAULT", fault));
    }
    all.extend_from_slice(env);
    spawn_serve(&all).await
}

/// A real `ingest serve` on a free loopback port with nothing from the test
/// process's environment but PATH: one worker, JSON logs, then `env`
/// (applied last). Returns once the server says where it listens.
pub(crate) async fn spawn_serve(env: &[(&str, &str)]) -> Server {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_ingest"));
    command
        .arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("INGEST_LISTEN", "127.0.0.1:0")
        .env("INGEST_WORKERS", "1")
        .env("INGEST_LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .envs(env.iter().copied());
    let mut child = command.spawn().expect("ingest serve starts");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let address = loop {
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the server logs within a minute")
            .expect("read stderr")
            .expect("the server says where it listens before anything else ends");
        let Ok(entry) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        if entry["fields"]["message"] == "listening" {
            break entry["fields"]["address"]
                .as_str()
                .expect("address")
                .to_owned();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Server {
        child,
        url: format!("http://{address}"),
    }
}

/// Uploads data.csv to a real server started with `fault` (an `abort`),
/// waits for it to die, restarts it on the same data dir without the fault,
/// and returns the task as it ended and the rows the sink then holds.
async fn crash_then_restart(fault: &str, datasource: &str) -> (Task, u64) {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let client = reqwest::Client::new();
    // Dies as abruptly as kill -9: no unwinding, no cleanup.
    let mut crashing = serve(data_dir.path(), Some(fault)).await;
    let id = upload(&client, &crashing.url, data_csv(), datasource, "append").await;
    let exit = tokio::time::timeout(Duration::from_secs(60), crashing.child.wait())
        .await
        .expect("the server aborts")
        .expect("exit status");
    assert!(!exit.success(), "aborted: {exit:?}");

    let restarted = serve(data_dir.path(), None).await;
    let task = wait_until_finished(&client, &restarted.url, &id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.rows_in, Some(csv_data_rows(&data_csv())));
    assert_eq!(
        task.attempts, 2,
        "taken over once the crashed lease expired"
    );
    let held = rows_in_sink(&client, &restarted.url, datasource).await;
    (task, held)
}

#[tokio::test]
async fn kill_9_mid_validation_then_a_restart_takes_the_task_over_exactly_once() {
    let (task, held) = crash_then_restart("validation:abort", "crashy").await;
    assert_eq!(Some(held), task.row_count);
}

#[tokio::test]
async fn kill_9_after_publish_then_a_restart_does_not_publish_twice() {
    let (task, held) = crash_then_restart("after_publish:abort", "published").await;
    assert_eq!(
        Some(held),
        task.row_count,
        "the re-run finds its file committed and adds nothing"
    );
}

#[tokio::test]
async fn cancel_then_run_again_in_a_loop_leaves_one_copy() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| s.workers = 2).await;
    let csv = data_csv();
    let id = upload(&app.client, &app.url, csv.clone(), "flappy", "append").await;
    for _ in 0..30 {
        let cancel = app.post(&format!("/api/ingest/tasks/{id}/cancel")).await;
        if cancel.status().as_u16() == 409 {
            break; // it finished first: nothing left to race
        }
        assert_eq!(cancel.status().as_u16(), 200);
        let retry = app.post(&format!("/api/ingest/tasks/{id}/retry")).await;
        assert_eq!(retry.status().as_u16(), 202);
    }
    let mut task = wait_until_finished(&app.client, &app.url, &id).await;
    if task.status() == TaskStatus::Cancelled {
        let retry = app.post(&format!("/api/ingest/tasks/{id}/retry")).await;
        assert_eq!(retry.status().as_u16(), 202);
        task = wait_until_finished(&app.client, &app.url, &id).await;
    }
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.rows_in, Some(csv_data_rows(&csv)));
    let accepted = task.row_count.expect("rows accepted");
    assert_eq!(
        rows_in_sink(&app.client, &app.url, "flappy").await,
        accepted
    );
}

pub(crate) fn numbered_csv(first: u32, count: u32) -> Vec<u8> {
    let mut csv = String::from("time,n\n");
    for n in first..first + count {
        csv.push_str(&format!("2024-01-{:02}T00:00:00Z,{n}\n", 1 + n % 28));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn concurrent_replace_and_append_end_in_a_serial_order() {
    let app = TestApp::spawn(Backends::Embedded).await;
    for round in 0..5 {
        let ds = format!("racy{round}");
        let base = upload(&app.client, &app.url, numbered_csv(0, 7), &ds, "append").await;
        app.run_workers().await;
        assert_eq!(app.task(&base).await.status(), TaskStatus::Succeeded);

        let replace = upload(&app.client, &app.url, numbered_csv(100, 11), &ds, "replace").await;
        let append = upload(&app.client, &app.url, numbered_csv(200, 13), &ds, "append").await;
        let pipeline = &app.state.pipeline;
        let (a, b) = tokio::join!(pipeline.run_next(), pipeline.run_next());
        assert!(a.expect("run").is_some() && b.expect("run").is_some());
        for id in [&replace, &append] {
            let task = app.task(id).await;
            assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
        }
        let rows = rows_in_sink(&app.client, &app.url, &ds).await;
        // The base rows (Jan 1–7) are outside the replace's days (Jan
        // 17–27) and stay. Replace then append: 7 + 11 + 13; append then
        // replace: the append's one Jan 17 row goes, 7 + 12 + 11. A mix or
        // a loss is anything else.
        assert!(rows == 31 || rows == 30, "round {round}: {rows} rows");
    }
}
