//! The S3 server and Postgres unreachable (issue 8), each behind a forwarder
//! the test switches off and on; the shared services keep running for the
//! other tests. An upload that cannot be stored is refused with nothing
//! left; work that cannot reach a store is retried and finishes once it
//! returns.

use std::time::Duration;

use bytes::Bytes;
use ingest_domain::TaskStatus;
use ingest_storage::{
    object::{S3Config, S3ObjectStore},
    ObjectStore, TaskFilter,
};
use serde_json::Value;

use crate::faults::{rows_in_sink, upload, wait_until_finished};
use crate::forwarder::{host_port, Forwarder};
use crate::helpers::{csv_data_rows, data_csv, required_env, Backends, TestApp};

/// The shared S3 server, reached directly under `prefix`.
async fn s3_under(prefix: &str) -> S3ObjectStore {
    S3ObjectStore::connect(S3Config {
        bucket: required_env("S3_BUCKET"),
        endpoint: Some(required_env("S3_ENDPOINT")),
        region: required_env("S3_REGION"),
        prefix: prefix.to_owned(),
        credentials: Some((
            required_env("AWS_ACCESS_KEY_ID"),
            required_env("AWS_SECRET_ACCESS_KEY"),
        )),
    })
    .await
    .expect("S3")
}

/// A test app on Postgres + S3 whose S3 server is behind `forwarder`;
/// returns the app and its S3 prefix.
async fn app_behind(forwarder: &Forwarder, workers: usize) -> (TestApp, String) {
    let mut prefix = String::new();
    let app = TestApp::spawn_with(Backends::Real, |s| {
        s.s3_endpoint = Some(forwarder.url());
        s.workers = workers;
        prefix.clone_from(&s.s3_prefix);
    })
    .await;
    (app, prefix)
}

#[tokio::test]
async fn s3_gone_mid_upload_answers_503_and_leaves_nothing() {
    let forwarder = Forwarder::start(&host_port(&required_env("S3_ENDPOINT"))).await;
    let (app, prefix) = app_behind(&forwarder, 0).await;
    let direct = s3_under(&prefix).await;

    // 9 MiB of rows (one S3 part goes out), then the S3 server goes away,
    // then the rest of the file and the end of the body.
    let boundary = "s3goneboundary";
    let mut head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"datasource_name\"\r\n\r\ns3gone\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\ntime,v\n"
    )
    .into_bytes();
    while head.len() < 9 * 1024 * 1024 {
        head.extend_from_slice(b"2024-01-01T00:00:00Z,1\n");
    }
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    sender.send(Ok(Bytes::from(head))).await.expect("send");
    let body = reqwest::Body::wrap_stream(futures::stream::unfold(receiver, |mut rx| async {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let request = app
        .client
        .post(format!("{}/api/ingest/upload", app.url))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send();
    let answer = tokio::spawn(request);
    for _ in 0..600 {
        if direct.pending_uploads().await.expect("pending") > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(
        direct.pending_uploads().await.expect("pending"),
        1,
        "a part is out"
    );

    forwarder.down();
    let tail = format!("2024-01-02T00:00:00Z,2\r\n--{boundary}--\r\n");
    sender.send(Ok(Bytes::from(tail))).await.expect("send");
    drop(sender);
    let response = answer.await.expect("join").expect("an answer");
    assert_eq!(response.status().as_u16(), 503);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["error"]["code"], "backend_unavailable", "{body}");

    // Back: the abort that failed while it was gone is tried again.
    forwarder.up();
    for _ in 0..300 {
        if direct.pending_uploads().await.expect("pending") == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        direct.pending_uploads().await.expect("pending"),
        0,
        "the multipart upload was aborted once S3 answered again"
    );
    assert!(direct.list("").await.expect("list").is_empty(), "no object");
    let page = app
        .state
        .tasks
        .list(&TaskFilter::default())
        .await
        .expect("tasks");
    assert_eq!(page.total, 0, "no task");
}

#[tokio::test]
async fn s3_gone_before_validation_is_retried_until_it_is_back() {
    let forwarder = Forwarder::start(&host_port(&required_env("S3_ENDPOINT"))).await;
    let (app, _) = app_behind(&forwarder, 0).await;
    let csv = data_csv();
    let id = upload(&app.client, &app.url, csv.clone(), "s3back", "append").await;

    forwarder.down();
    let first = app
        .state
        .pipeline
        .run_next()
        .await
        .expect("claim")
        .expect("a task");
    assert!(!first.status().is_terminal(), "kept for a retry");
    assert_eq!(
        first.error.as_ref().map(|e| e.code.as_str()),
        Some("object_store_unavailable")
    );

    forwarder.up();
    // The retry is due after a short backoff (200 ms base in tests).
    let mut ran = false;
    for _ in 0..100 {
        if app.state.pipeline.run_next().await.expect("run").is_some() {
            ran = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ran, "the task was taken up again");
    let task = app.task(&id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.attempts, 2);
    assert_eq!(task.rows_in, Some(csv_data_rows(&csv)));
    assert_eq!(
        rows_in_sink(&app.client, &app.url, "s3back").await,
        task.row_count.expect("rows")
    );
}

/// A CSV that takes the worker a few seconds.
fn long_csv(rows: u32) -> Vec<u8> {
    let mut csv = String::from("time,device,reading\n");
    for n in 0..rows {
        csv.push_str(&format!(
            "2024-02-{:02}T{:02}:00:00Z,dev-{},{n}\n",
            1 + n % 28,
            n % 24,
            n % 31
        ));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn postgres_gone_mid_processing_the_task_finishes_once_it_is_back() {
    let database = crate::helpers::fresh_postgres_url().await;
    let postgres = host_port(&database);
    let forwarder = Forwarder::start(&postgres).await;
    let through = database.replacen(&postgres, &forwarder.address().to_string(), 1);
    let app = TestApp::spawn_with(Backends::Real, |s| {
        s.database_url = Some(through.parse().expect("url"));
        s.workers = 1;
        // A worker that cannot record its failure leaves the task to its
        // lease: keep that short.
        s.task_lease_secs = 3;
    })
    .await;
    let rows = 400_000;
    let id = upload(&app.client, &app.url, long_csv(rows), "pgback", "append").await;
    for _ in 0..600 {
        if app.task(&id).await.status() != TaskStatus::Queued {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    forwarder.down();
    // The outage itself: longer than a lease renewal period (1 s here), so
    // renewals and saves meet it.
    tokio::time::sleep(Duration::from_secs(4)).await;
    forwarder.up();

    let task = wait_until_finished(&app.client, &app.url, &id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.rows_in, Some(u64::from(rows)));
    assert_eq!(task.row_count, Some(u64::from(rows)));
    assert_eq!(
        rows_in_sink(&app.client, &app.url, "pgback").await,
        u64::from(rows),
        "once"
    );
}
