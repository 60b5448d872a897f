//! SIGTERM to a real `ingest serve`: a task mid-validation is handed back
//! (queued, no lease, the attempt not counted) and another server finishes
//! it once; an upload still arriving after the grace period is cut off and
//! leaves no task, no object and no held idempotency key.

use std::time::Duration;

use bytes::Bytes;
use chrono::Utc;
use ingest_domain::{TaskId, TaskStatus};
use ingest_storage::{
    object::{S3Config, S3ObjectStore},
    ObjectStore, PostgresTaskStore, SqliteTaskStore, TaskFilter, TaskStore,
};
use serde_json::Value;

use crate::faults::{rows_in_sink, spawn_serve, upload, wait_until_finished, Server};
use crate::helpers::{csv_data_rows, data_csv, fresh_postgres_url, required_env};

/// A real `ingest serve` with only the given environment (and PATH).
async fn serve(env: &[(&str, String)]) -> Server {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    spawn_serve(&env).await
}

impl Server {
    /// SIGTERM, then the exit status (bounded: a hung shutdown fails).
    async fn terminate(mut self, within: Duration) -> std::process::ExitStatus {
        let pid = self.child.id().expect("running");
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        tokio::time::timeout(within, self.child.wait())
            .await
            .expect("the server exits after SIGTERM")
            .expect("exit status")
    }
}

async fn status_of(client: &reqwest::Client, base: &str, id: &str) -> TaskStatus {
    let task: ingest_domain::Task = client
        .get(format!("{base}/api/ingest/status/{id}"))
        .send()
        .await
        .expect("status")
        .json()
        .await
        .expect("task JSON");
    task.status()
}

#[tokio::test]
async fn sigterm_mid_validation_hands_the_task_to_the_next_server_at_once() {
    let data_dir = tempfile::tempdir().expect("temp dir");
    let dir = data_dir.path();
    let common = |fault: Option<&str>| {
        let mut env = vec![
            ("INGEST_DATA_DIR", dir.display().to_string()),
            (
                "INGEST_FRONTEND_DIR",
                dir.join("none").display().to_string(),
            ),
            // Far longer than the test may wait: only a hand-back lets the
            // second server claim the task in time.
            ("INGEST_TASK_LEASE_SECS", "600".to_owned()),
            ("INGEST_SHUTDOWN_GRACE_SECS", "20".to_owned()),
        ];
        if let Some(fault) = fault {
            env.push(("INGEST_FAULT", fault.to_owned()));
        }
        env
    };
    let client = reqwest::Client::new();
    let first = serve(&common(Some("validation:sleep=600000"))).await;
    let id = upload(&client, &first.url, data_csv(), "handed", "append").await;
    while status_of(&client, &first.url, &id).await != TaskStatus::Validating {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The grace period is for uploads; the worker does not wait for it.
    let exit = first.terminate(Duration::from_secs(20)).await;
    assert!(exit.success(), "a clean exit: {exit:?}");

    let url = format!("sqlite://{}", dir.join("ingest.db").display());
    let store = SqliteTaskStore::connect(&url)
        .await
        .expect("open the database");
    let task_id: TaskId = id.parse().expect("task id");
    let handed = store.get(task_id).await.expect("get").expect("task");
    assert_eq!(handed.status(), TaskStatus::Queued);
    assert_eq!(handed.attempts, 0, "the stopped attempt is not counted");
    let pool = sqlx::SqlitePool::connect(&url).await.expect("pool");
    let (owner, token, expires): (Option<String>, Option<String>, Option<i64>) =
        sqlx::query_as("SELECT lease_owner, lease_token, lease_expires_at FROM tasks WHERE id = ?")
            .bind(&id)
            .fetch_one(&pool)
            .await
            .expect("lease columns");
    assert_eq!((owner, token, expires), (None, None, None), "no lease left");
    pool.close().await;

    let second = serve(&common(None)).await;
    let done = wait_until_finished(&client, &second.url, &id).await;
    assert_eq!(done.status(), TaskStatus::Succeeded, "{:?}", done.error);
    assert_eq!(
        done.attempts, 1,
        "claimed once more, not after a lease expiry"
    );
    assert_eq!(done.rows_in, Some(csv_data_rows(&data_csv())));
    assert_eq!(
        Some(rows_in_sink(&client, &second.url, "handed").await),
        done.row_count,
        "the sink holds the file once"
    );
}

/// The start of a multipart upload whose file part never ends.
fn open_multipart(boundary: &str, datasource: &str) -> Vec<u8> {
    format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"datasource_name\"\r\n\r\n{datasource}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\nContent-Type: text/csv\r\n\r\ntime,n\n"
    )
    .into_bytes()
}

#[tokio::test]
async fn an_upload_still_arriving_after_the_grace_period_leaves_nothing() {
    let database = fresh_postgres_url().await;
    let prefix = format!("test-{}/", uuid::Uuid::new_v4().simple());
    let data_dir = tempfile::tempdir().expect("temp dir");
    let env = vec![
        ("INGEST_DATA_DIR", data_dir.path().display().to_string()),
        (
            "INGEST_FRONTEND_DIR",
            data_dir.path().join("none").display().to_string(),
        ),
        ("DATABASE_URL", database.clone()),
        ("S3_BUCKET", required_env("S3_BUCKET")),
        ("S3_ENDPOINT", required_env("S3_ENDPOINT")),
        ("S3_REGION", required_env("S3_REGION")),
        ("S3_PREFIX", prefix.clone()),
        ("AWS_ACCESS_KEY_ID", required_env("AWS_ACCESS_KEY_ID")),
        (
            "AWS_SECRET_ACCESS_KEY",
            required_env("AWS_SECRET_ACCESS_KEY"),
        ),
        ("INGEST_SHUTDOWN_GRACE_SECS", "1".to_owned()),
        ("INGEST_UPLOAD_IDLE_TIMEOUT_SECS", "300".to_owned()),
    ];
    let objects = S3ObjectStore::connect(S3Config {
        bucket: required_env("S3_BUCKET"),
        endpoint: Some(required_env("S3_ENDPOINT")),
        region: required_env("S3_REGION"),
        prefix: prefix.clone(),
        credentials: Some((
            required_env("AWS_ACCESS_KEY_ID"),
            required_env("AWS_SECRET_ACCESS_KEY"),
        )),
    })
    .await
    .expect("S3");
    let server = serve(&env).await;

    // 9 MiB of rows (more than one S3 part), then the client goes quiet
    // without ending the body.
    let boundary = "shutdownboundary";
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let mut head = open_multipart(boundary, "cutoff");
    let row = b"2024-01-01T00:00:00Z,1\n";
    while head.len() < 9 * 1024 * 1024 {
        head.extend_from_slice(row);
    }
    sender.send(Ok(Bytes::from(head))).await.expect("send");
    let body = reqwest::Body::wrap_stream(futures::stream::unfold(receiver, |mut rx| async {
        rx.recv().await.map(|chunk| (chunk, rx))
    }));
    let key = uuid::Uuid::new_v4().to_string();
    let request = reqwest::Client::new()
        .post(format!("{}/api/ingest/upload", server.url))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .header("idempotency-key", &key)
        .body(body)
        .send();
    let answer = tokio::spawn(request);
    while objects.pending_uploads().await.expect("pending") == 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    let exit = server.terminate(Duration::from_secs(30)).await;
    assert!(exit.success(), "a clean exit: {exit:?}");
    // The client may see the 503 or only the closed connection.
    if let Ok(Ok(response)) = answer.await {
        assert_eq!(response.status().as_u16(), 503);
        let body: Value = response.json().await.expect("error JSON");
        assert_eq!(body["error"]["code"], "shutting_down", "{body}");
    }
    drop(sender);

    assert_eq!(
        objects.pending_uploads().await.expect("pending"),
        0,
        "the multipart upload was aborted"
    );
    assert!(objects.list("").await.expect("list").is_empty());
    let tasks = PostgresTaskStore::connect(&database).await.expect("db");
    let page = tasks
        .list(&TaskFilter::default())
        .await
        .expect("list tasks");
    assert_eq!(page.total, 0, "no task row");
    assert_eq!(
        tasks
            .reserve_key(&key, Utc::now() - chrono::Duration::hours(1))
            .await
            .expect("reserve"),
        None,
        "the idempotency key was let go"
    );
}
