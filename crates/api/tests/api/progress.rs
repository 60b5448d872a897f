//! Progress while users wait: a running validation publishes its counters to
//! the task store, and the task's status shows them.

use std::sync::Arc;

use serde_json::Value;

use crate::helpers::{Backends, TestApp};

/// A CSV of `rows` data rows, large enough to be read for a while.
fn big_csv(rows: u64) -> Vec<u8> {
    let mut csv = String::from("timestamp,id,name,amount\n");
    for i in 0..rows {
        let day = 1 + i % 28;
        let second = i % 60;
        csv.push_str(&format!(
            "2024-02-{day:02}T10:00:{second:02}Z,{i},customer-{},{}.{:02}\n",
            i % 977,
            i % 10_000,
            i % 100
        ));
    }
    csv.into_bytes()
}

fn number(progress: &Value, field: &str) -> Option<u64> {
    progress[field].as_u64()
}

#[tokio::test]
async fn a_validating_task_shows_bytes_and_rows_rising_and_none_once_it_ended() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| s.progress_interval_ms = 50).await;
    let csv = big_csv(400_000);
    let size = csv.len() as u64;
    let response = app.upload_bytes("big.csv", csv, "progress_big").await;
    assert_eq!(response.status().as_u16(), 202);
    let id = response.json::<Value>().await.expect("JSON")["task_id"]
        .as_str()
        .expect("task id")
        .to_owned();

    let pipeline = Arc::clone(&app.state.pipeline);
    let worker = tokio::spawn(async move { pipeline.run_until_idle().await });
    // Every progress the status showed while the worker ran, in order.
    let mut seen: Vec<Value> = Vec::new();
    while !worker.is_finished() {
        let (status, task) = app.get_json(&format!("/api/ingest/status/{id}")).await;
        assert_eq!(status, 200);
        let progress = &task["progress"];
        if !progress.is_null() {
            assert_eq!(
                task["status"], "validating",
                "progress only while validating: {task}"
            );
            if seen.last() != Some(progress) {
                seen.push(progress.clone());
            }
        }
        // Paces the polling; what is asserted is the order of what was seen.
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    worker.await.expect("joined").expect("pipeline ran");

    assert!(seen.len() >= 2, "at least two publications seen: {seen:?}");
    let mut previous: Option<&Value> = None;
    for progress in &seen {
        assert_eq!(progress["stage"], "validation");
        assert_eq!(number(progress, "bytes_total"), Some(size));
        let read = number(progress, "bytes_read").expect("a CSV counts bytes");
        assert!(read <= size, "bytes_read {read} within the size {size}");
        assert!(progress["updated_at"].is_string());
        if let Some(before) = previous {
            let percent = |p: &Value| p["percent"].as_f64().expect("percent");
            assert!(
                percent(progress) >= percent(before),
                "{before} → {progress}"
            );
            if progress["pass"] == before["pass"] {
                assert!(read >= number(before, "bytes_read").expect("bytes"));
                assert!(number(progress, "rows") >= number(before, "rows"));
            }
        }
        previous = Some(progress);
    }
    let rising = seen.windows(2).any(|pair| {
        pair[0]["pass"] == pair[1]["pass"]
            && number(&pair[1], "rows") > number(&pair[0], "rows")
            && number(&pair[1], "bytes_read") > number(&pair[0], "bytes_read")
    });
    assert!(rising, "rows and bytes rose within a pass: {seen:?}");

    // Ended: no progress, in the task or in the list.
    let task = app.task(&id).await;
    assert_eq!(task.status().as_str(), "succeeded", "{:?}", task.error);
    assert_eq!(task.row_count, Some(400_000));
    assert!(task.progress.is_none());
    let (_, list) = app.get_json("/api/ingest/tasks").await;
    let summary = list["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .find(|t| t["task_id"] == id.as_str())
        .expect("listed");
    assert!(summary.get("progress").is_none(), "{summary}");
}
