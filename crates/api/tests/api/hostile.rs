//! Issue 9: no file can take the service down. Each crafted file is uploaded
//! to a real server (in this process), ends `failed` with its own code (or
//! succeeds, when strange but legal), the process's anonymous memory stays
//! under 512 MiB throughout, and a normal file still goes through after.

use std::{
    sync::{
        atomic::{AtomicBool, AtomicU64, Ordering},
        Arc,
    },
    thread::JoinHandle,
    time::Duration,
};

use ingest_domain::TaskStatus;
use ingest_hostile_files::{corpus, long_line_csv, Case, Outcome};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{csv_data_rows, data_csv, Backends, TestApp};

const RSS_CEILING_KIB: u64 = 512 * 1024;

/// `RssAnon` of this process, in KiB (the server runs in it).
fn anonymous_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("RssAnon:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Samples `RssAnon` every few milliseconds until stopped; keeps the peak.
struct RssWatch {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RssWatch {
    fn start() -> Self {
        let (peak, stop) = (
            Arc::new(AtomicU64::new(0)),
            Arc::new(AtomicBool::new(false)),
        );
        let (p, s) = (peak.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            while !s.load(Ordering::Relaxed) {
                p.fetch_max(anonymous_rss_kib(), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(5));
            }
        });
        Self {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.join().expect("sampler ends");
        }
        self.peak.load(Ordering::Relaxed)
    }
}

/// Uploads a file from disk, streaming (the 300 MiB one must not be held
/// in this process either); returns the task id.
async fn upload(app: &TestApp, case: &Case) -> String {
    let file = tokio::fs::File::open(&case.path).await.expect("open");
    let length = file.metadata().await.expect("size").len();
    let body = reqwest::Body::wrap_stream(tokio_util::io::ReaderStream::new(file));
    let mut form = Form::new()
        .part(
            "file",
            Part::stream_with_length(body, length).file_name(case.file_name()),
        )
        .text("datasource_name", "hostile");
    if let Some(column) = case.timestamp_column {
        form = form.text("timestamp_column", column);
    }
    let response = app.post_form(form).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, 202, "{}: upload accepted: {body}", case.name);
    body["task_id"].as_str().expect("task id").to_owned()
}

#[tokio::test]
async fn hostile_files_fail_cleanly_in_bounded_memory() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let dir = tempfile::tempdir().expect("dir");
    let mut cases = corpus(dir.path()).expect("corpus");
    let long = dir.path().join("long-line.csv");
    long_line_csv(&long, 300 * 1024 * 1024).expect("long line");
    cases.push(Case {
        name: "one 300 MiB line",
        path: long,
        outcome: Outcome::Fails("record_too_large"),
        timestamp_column: None,
    });

    let watch = RssWatch::start();
    let mut tasks = Vec::new();
    for case in &cases {
        tasks.push((case, upload(&app, case).await));
    }
    app.run_workers().await;
    let peak_kib = watch.finish();

    for (case, id) in &tasks {
        let task = app.task(id).await;
        match case.outcome {
            Outcome::Fails(code) => {
                assert_eq!(
                    task.status(),
                    TaskStatus::Failed,
                    "{}: {:?}",
                    case.name,
                    task.error
                );
                let error = task.error.expect("an error");
                assert_eq!(error.code, code, "{}: {}", case.name, error.message);
                assert!(error.hint.is_some(), "{}: a hint for {code}", case.name);
                assert_eq!(task.attempts, 1, "{}: a bad file is not retried", case.name);
            }
            Outcome::Succeeds { rows_in, rejected } => {
                assert_eq!(
                    task.status(),
                    TaskStatus::Succeeded,
                    "{}: {:?}",
                    case.name,
                    task.error
                );
                assert_eq!(task.rows_in, Some(rows_in), "{}", case.name);
                assert_eq!(task.rejected_row_count, Some(rejected), "{}", case.name);
            }
        }
    }
    eprintln!(
        "hostile corpus: anonymous memory peaked at {} MiB",
        peak_kib / 1024
    );
    assert!(
        peak_kib < RSS_CEILING_KIB,
        "anonymous memory peaked at {} MiB",
        peak_kib / 1024
    );

    let bytes = data_csv();
    let expected = csv_data_rows(&bytes);
    assert_eq!(expected, 1_200);
    let task = app.ingest("data.csv", bytes, "sales").await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.rows_in, Some(expected));
}
