//! Many `ingest serve` processes on one Postgres (issue 8, invariant 6):
//! two real servers share the database and the data directory (local
//! objects, local Parquet sink), 200 small uploads are queued, and one
//! server is killed with SIGKILL when about half have succeeded, then
//! started again. Every task must end `succeeded` once, and the sink must
//! hold each upload's rows exactly once.

use std::{collections::BTreeSet, time::Duration};

use futures::{stream, StreamExt};
use ingest_domain::{Task, TaskStatus};
use serde_json::Value;

use crate::{
    faults::{rows_in_sink, serve_with, upload, Server},
    helpers::fresh_postgres_url,
};

const TASKS: u32 = 200;
const DATASOURCE: &str = "shared";

/// Upload `n`: a small CSV of 1 to 7 rows.
fn small_csv(n: u32) -> (Vec<u8>, u64) {
    let rows = 1 + n % 7;
    let mut csv = String::from("time,upload,row\n");
    for row in 0..rows {
        csv.push_str(&format!(
            "2024-02-{:02}T00:00:00Z,{n},{row}\n",
            1 + (n + row) % 28
        ));
    }
    (csv.into_bytes(), u64::from(rows))
}

async fn start(data_dir: &std::path::Path, database_url: &str) -> Server {
    serve_with(
        data_dir,
        // Each validation takes a little while, so the kill lands while
        // the killed server's workers hold tasks.
        Some("validation:sleep=40"),
        &[
            ("DATABASE_URL", database_url),
            ("INGEST_WORKERS", "2"),
            // A killed server's leases run out after a second: the other
            // server takes its tasks over quickly.
            ("INGEST_TASK_LEASE_SECS", "1"),
            ("INGEST_TASK_RETRY_BASE_MS", "50"),
        ],
    )
    .await
}

/// Tasks with this status, counted by the API.
async fn count(client: &reqwest::Client, base: &str, status: TaskStatus) -> u64 {
    let body: Value = client
        .get(format!("{base}/api/ingest/tasks?status={status}&limit=1"))
        .send()
        .await
        .expect("list")
        .json()
        .await
        .expect("JSON");
    body["total"].as_u64().expect("total")
}

/// Polls until `done` says so (bounded: a stuck queue fails the test).
async fn wait_for(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..1200 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{what}: not within a minute");
}

#[tokio::test]
async fn two_servers_on_one_postgres_survive_a_kill_9_and_process_every_task_once() {
    let database_url = fresh_postgres_url().await;
    let data_dir = tempfile::tempdir().expect("temp dir");
    let client = reqwest::Client::new();
    let front = start(data_dir.path(), &database_url).await;
    let mut victim = start(data_dir.path(), &database_url).await;

    let uploads: Vec<(String, u64)> = stream::iter(0..TASKS)
        .map(|n| {
            let (client, url) = (client.clone(), front.url.clone());
            async move {
                let (csv, rows) = small_csv(n);
                (upload(&client, &url, csv, DATASOURCE, "append").await, rows)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;

    let half = u64::from(TASKS / 2);
    wait_for("half of the tasks succeed", async || {
        count(&client, &front.url, TaskStatus::Succeeded).await >= half
    })
    .await;
    victim.child.kill().await.expect("kill -9");
    let _restarted = start(data_dir.path(), &database_url).await;

    wait_for("every task finishes", async || {
        let finished = [
            TaskStatus::Succeeded,
            TaskStatus::Failed,
            TaskStatus::Cancelled,
        ];
        let mut total = 0;
        for status in finished {
            total += count(&client, &front.url, status).await;
        }
        total == u64::from(TASKS)
    })
    .await;

    let (mut expected_rows, mut taken_over) = (0, 0);
    for (id, rows) in &uploads {
        let task: Task = client
            .get(format!("{}/api/ingest/status/{id}", front.url))
            .send()
            .await
            .expect("status")
            .json()
            .await
            .expect("task JSON");
        assert_eq!(
            task.status(),
            TaskStatus::Succeeded,
            "{id}: {:?}",
            task.error
        );
        assert_eq!(
            (task.rows_in, task.row_count),
            (Some(*rows), Some(*rows)),
            "{id}"
        );
        expected_rows += rows;
        taken_over += usize::from(task.attempts > 1);
    }
    // Usually the killed server's two workers each held a task: the other
    // servers ran them again once their leases ran out.
    eprintln!("tasks taken over after the kill: {taken_over}");
    assert_eq!(
        rows_in_sink(&client, &front.url, DATASOURCE).await,
        expected_rows,
        "the sink holds every upload's rows once"
    );
    // One file per upload in the datasource's manifest, none twice.
    let manifest: Value = serde_json::from_slice(
        &std::fs::read(
            data_dir
                .path()
                .join("datasources")
                .join(DATASOURCE)
                .join("MANIFEST.json"),
        )
        .expect("manifest"),
    )
    .expect("manifest JSON");
    let files: Vec<&str> = manifest["files"]
        .as_array()
        .expect("files")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let expected: BTreeSet<String> = uploads
        .iter()
        .map(|(id, _)| format!("{id}.parquet"))
        .collect();
    assert_eq!(files.len(), expected.len(), "one file per upload");
    assert_eq!(
        files
            .into_iter()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>(),
        expected
    );
}
