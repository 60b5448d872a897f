//! Cancel has one meaning (issue 8, invariant 4): before the sink's commit
//! point it stops the work and nothing of the upload is visible; after it,
//! cancel is refused with `409 task_finished` and the task ends `succeeded`
//! with its rows once. The local sink's commit point is recorded on the task
//! (`committed_at`) under the datasource lock, right before the manifest
//! switch.

use std::time::Duration;

use ingest_domain::{Task, TaskStatus};

use crate::faults::{rows_in_sink, upload, wait_until_finished, Pause};
use crate::helpers::{assert_error, csv_data_rows, data_csv, Backends, TestApp};

/// Polls the task until `ready` holds (bounded: a hung task fails the test).
async fn wait_for(app: &TestApp, id: &str, ready: impl Fn(&Task) -> bool) -> Task {
    for _ in 0..600 {
        let task = app.task(id).await;
        if ready(&task) {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {id} did not reach the awaited state within 30 s");
}

#[tokio::test]
async fn cancel_after_the_commit_point_is_refused_and_the_task_succeeds_once() {
    // Held after the manifest switch: the window a cancel used to slip into
    // (rows visible, task "cancelled").
    let pause = Pause::new();
    let app = TestApp::spawn_with(Backends::Embedded, |s| {
        s.workers = 1;
        s.fault = Some(pause.at("after_publish", ":once"));
    })
    .await;
    let csv = data_csv();
    let id = upload(&app.client, &app.url, csv.clone(), "committed", "append").await;
    let held = wait_for(&app, &id, |t| {
        t.committed_at.is_some() || t.status().is_terminal()
    })
    .await;
    assert_eq!(
        (held.status(), held.committed_at.is_some()),
        (TaskStatus::Ingesting, true),
        "observed past its commit point, not yet succeeded"
    );

    let cancel = app.post(&format!("/api/ingest/tasks/{id}/cancel")).await;
    let body = assert_error(cancel, 409, "task_finished").await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("commit point"),
        "{body}"
    );

    pause.release();
    let task = wait_until_finished(&app.client, &app.url, &id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.cancelled_by, None);
    let rows = task.row_count.expect("rows");
    assert_eq!(task.rows_in, Some(csv_data_rows(&csv)));
    assert_eq!(rows_in_sink(&app.client, &app.url, "committed").await, rows);
}

#[tokio::test]
async fn cancel_before_the_commit_point_stops_the_work_and_shows_nothing() {
    // Held inside validation, well before the commit point.
    let pause = Pause::new();
    let app = TestApp::spawn_with(Backends::Embedded, |s| {
        s.workers = 1;
        s.fault = Some(pause.at("validation", ":once"));
    })
    .await;
    let id = upload(&app.client, &app.url, data_csv(), "uncommitted", "append").await;
    wait_for(&app, &id, |t| t.status() != TaskStatus::Queued).await;

    let cancel = app.post(&format!("/api/ingest/tasks/{id}/cancel")).await;
    assert_eq!(cancel.status().as_u16(), 200);
    let cancelled: Task = cancel.json().await.expect("task JSON");
    assert_eq!(cancelled.status(), TaskStatus::Cancelled);
    pause.release();

    // The only worker takes the next upload once the cancelled attempt has
    // stopped: after that, nothing of the cancelled one may be visible.
    let next = upload(&app.client, &app.url, data_csv(), "after_cancel", "append").await;
    let done = wait_until_finished(&app.client, &app.url, &next).await;
    assert_eq!(done.status(), TaskStatus::Succeeded, "{:?}", done.error);
    let task = app.task(&id).await;
    assert_eq!(task.status(), TaskStatus::Cancelled);
    assert!(
        task.committed_at.is_none(),
        "never reached the commit point"
    );
    assert_eq!(rows_in_sink(&app.client, &app.url, "uncommitted").await, 0);
}
