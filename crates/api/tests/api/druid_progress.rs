//! What a person sees while an upload waits for Druid and while Druid
//! ingests it (issue 12 §3 and §6), against the real Druid: an upload
//! waiting for this server's Druid task cap, or for another upload to its
//! datasource, says so on its status; a running upload's status carries the
//! row counters Druid itself reported.
//!
//! Awaited, not timed: the first upload to reach Druid's `SUCCESS` is held
//! there by the `druid_success` pause, with the server's only Druid task
//! slot and its datasource's turn, so the others can only wait, and its
//! status shows Druid's counters as read at that verdict.

use std::{sync::Arc, time::Duration};

use ingest_domain::{Task, TaskStatus, WaitReason};

use crate::druid::{rows_of_upload, unique};
use crate::faults::{upload, Pause};
use crate::helpers::{csv_data_rows, data_csv, Backends, TestApp};

/// Polls the task until `ready` holds (bounded: a hung task fails the test).
async fn wait_for(app: &TestApp, id: &str, what: &str, ready: impl Fn(&Task) -> bool) -> Task {
    for _ in 0..6000 {
        let task = app.task(id).await;
        if ready(&task) {
            return task;
        }
        assert!(
            !task.status().is_terminal(),
            "task {id} ended before {what}: {:?}",
            task.error
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {id}: not {what} within 5 minutes");
}

fn waiting_for(task: &Task, reason: WaitReason) -> bool {
    task.progress
        .as_ref()
        .and_then(|p| p.waiting.as_ref())
        .is_some_and(|w| w.reason == reason)
}

/// Runs the next queued task on its own worker (one claim: the test uploads
/// one task at a time, so it knows which one each worker runs).
fn run_next(app: &TestApp) -> tokio::task::JoinHandle<Option<Task>> {
    let pipeline = Arc::clone(&app.state.pipeline);
    tokio::spawn(async move { pipeline.run_next().await.expect("claims") })
}

// The pause holds a blocking thread; the server needs others meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn uploads_waiting_for_druid_say_what_for_and_a_running_one_shows_druids_counters() {
    let pause = Pause::new();
    let app = TestApp::spawn_with(Backends::Druid, |s| {
        s.druid.max_concurrent_tasks = 1;
        s.fault = Some(pause.at("druid_success", ":once"));
    })
    .await;
    let rows = csv_data_rows(&data_csv());
    let (shared, other) = (unique("druid_wait"), unique("druid_wait_other"));

    // A: held at Druid's SUCCESS, its progress is Druid's own counters.
    let a = upload(&app.client, &app.url, data_csv(), &shared, "append").await;
    let run_a = run_next(&app);
    let held = wait_for(&app, &a, "held at Druid's SUCCESS", |t| {
        t.druid.as_ref().and_then(|d| d.status.as_deref()) == Some("SUCCESS")
            && t.progress.as_ref().is_some_and(|p| p.rows == Some(rows))
    })
    .await;
    let progress = held.progress.clone().expect("progress");
    assert_eq!(held.status(), TaskStatus::Ingesting);
    assert_eq!(
        (progress.rows, progress.rows_total, progress.percent),
        (Some(rows), Some(rows), Some(100.0)),
        "Druid's counters, read from its report, reached every accepted row: {progress:?}"
    );
    assert_eq!(progress.waiting, None);

    // B (another datasource): waits for the server's only Druid task slot.
    let b = upload(&app.client, &app.url, data_csv(), &other, "append").await;
    let run_b = run_next(&app);
    let b_waits = wait_for(&app, &b, "waiting for a slot", |t| {
        waiting_for(t, WaitReason::DruidTaskSlot)
    })
    .await;
    let wait = b_waits.progress.as_ref().and_then(|p| p.waiting.clone());
    let wait = wait.expect("waiting");
    assert_eq!((wait.ahead, wait.limit), (Some(0), Some(1)), "{wait:?}");
    assert!(wait.message.contains("Druid task slot"), "{}", wait.message);
    assert_eq!(b_waits.status(), TaskStatus::Ingesting);
    assert!(b_waits.druid.is_none(), "nothing submitted to Druid yet");

    // C (a replace of A's datasource): waits for A to finish there.
    let c = upload(&app.client, &app.url, data_csv(), &shared, "replace").await;
    let run_c = run_next(&app);
    let c_waits = wait_for(&app, &c, "waiting for the datasource", |t| {
        waiting_for(t, WaitReason::Datasource)
    })
    .await;
    assert!(c_waits.druid.is_none(), "nothing submitted to Druid yet");
    // B still waits behind A (C is not in the slot queue before its turn).
    assert!(waiting_for(&app.task(&b).await, WaitReason::DruidTaskSlot));

    pause.release();
    for (run, id) in [(run_a, &a), (run_b, &b), (run_c, &c)] {
        run.await.expect("joined").expect("ran a task");
        let task = app.task(id).await;
        assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
        assert_eq!(task.row_count, Some(rows));
        assert_eq!(task.progress, None, "no progress once it ended");
    }
    assert_eq!(rows_of_upload(&other, &b).await, rows, "B once");
    assert_eq!(rows_of_upload(&shared, &c).await, rows, "C once");
}
