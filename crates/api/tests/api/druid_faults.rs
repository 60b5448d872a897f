//! Exactly once with the real Druid (issue 8): Druid's commit point against
//! a cancel, earlier runs adopted instead of appended twice, cancel → "Run
//! again" races, a lost lease shutting its Druid task down, and Druid
//! unreachable while a task runs (through a forwarder that the test
//! switches off; the shared Druid itself is never stopped).

use std::time::Duration;

use ingest_domain::{Task, TaskStatus};
use ingest_druid::{DruidClient, DruidError, TaskStatusCode};

use crate::druid::{rows_in_datasource, rows_of_upload, unique};
use crate::faults::{upload, Pause};
use crate::forwarder::{host_port, Forwarder};
use crate::helpers::{assert_error, csv_data_rows, data_csv, required_env, Backends, TestApp};

/// Polls the task until `ready` holds (bounded: a hung task fails the test;
/// generously, since Druid's two task slots are shared with other tests).
async fn wait_for(app: &TestApp, id: &str, ready: impl Fn(&Task) -> bool) -> Task {
    for _ in 0..6000 {
        let task = app.task(id).await;
        if ready(&task) {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {id} did not reach the awaited state within 5 minutes");
}

async fn finished(app: &TestApp, id: &str) -> Task {
    wait_for(app, id, |t| t.status().is_terminal()).await
}

/// The task API (the router serves it only with its management proxy on).
fn overlord() -> DruidClient {
    let url = std::env::var("DRUID_OVERLORD_URL").unwrap_or_else(|_| required_env("DRUID_URL"));
    DruidClient::new(&url, None).expect("Druid URL")
}

fn druid_status(task: &Task) -> Option<&str> {
    task.druid.as_ref().and_then(|d| d.status.as_deref())
}

/// Rows of upload `id` in `datasource`, by Druid SQL on the lineage column
/// (0 while the datasource does not exist).
fn assert_once_in_druid(task: &Task, in_druid: u64) {
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.rows_in, Some(csv_data_rows(&data_csv())));
    assert_eq!(task.row_count, Some(in_druid), "one copy in Druid");
    assert_eq!(
        task.druid.as_ref().and_then(|d| d.rows_in_druid),
        Some(in_druid)
    );
}

// The fault hook holds a worker thread; the server needs others meanwhile.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn druid_success_wins_over_a_cancel_and_a_lost_commit_is_adopted_on_run_again() {
    // Held between Druid's SUCCESS and the save of `committed_at`, once
    // per upload, until released.
    let pause = Pause::new();
    let app = TestApp::spawn_with(Backends::Druid, |s| {
        s.workers = 1;
        s.fault = Some(pause.at("druid_success", ""));
    })
    .await;
    let datasource = unique("druid_commit");

    // A cancel in that window is refused: Druid has the rows.
    let first = upload(&app.client, &app.url, data_csv(), &datasource, "append").await;
    let held = wait_for(&app, &first, |t| {
        druid_status(t) == Some("SUCCESS") || t.status().is_terminal()
    })
    .await;
    assert_eq!(held.status(), TaskStatus::Ingesting, "{:?}", held.error);
    let cancel = app.post(&format!("/api/ingest/tasks/{first}/cancel")).await;
    assert_error(cancel, 409, "task_finished").await;
    pause.release();
    let task = finished(&app, &first).await;
    assert_once_in_druid(&task, rows_of_upload(&datasource, &first).await);

    // A cancel that slips in anyway (straight into the store, as a cancel
    // whose look at Druid came just before its SUCCESS) leaves the task
    // cancelled with its rows in Druid; "Run again" waits for the earlier
    // Druid task, finds it succeeded and adopts its rows instead of
    // appending them a second time.
    let second = upload(&app.client, &app.url, data_csv(), &datasource, "append").await;
    wait_for(&app, &second, |t| {
        druid_status(t) == Some("SUCCESS") || t.status().is_terminal()
    })
    .await;
    let cancelled = app
        .state
        .tasks
        .cancel(second.parse().expect("id"))
        .await
        .expect("store")
        .expect("task");
    assert_eq!(cancelled.status(), TaskStatus::Cancelled);
    pause.release();
    let retry = app.post(&format!("/api/ingest/tasks/{second}/retry")).await;
    assert_eq!(retry.status().as_u16(), 202);
    let task = finished(&app, &second).await;
    assert_once_in_druid(&task, rows_of_upload(&datasource, &second).await);
    assert_eq!(
        task.druid.as_ref().map(|d| d.task_id.clone()),
        Some(format!("ingest-{second}")),
        "the first run's Druid task was adopted; no `-retry1` was submitted"
    );
    let second_run = overlord().status(&format!("ingest-{second}-retry1")).await;
    assert!(
        matches!(second_run, Err(DruidError::Rejected { status: 404, .. })),
        "Druid never saw a second task: {second_run:?}"
    );
}

#[tokio::test]
async fn cancel_then_run_again_with_druid_leaves_one_copy() {
    let app = TestApp::spawn_with(Backends::Druid, |s| s.workers = 2).await;
    let datasource = unique("druid_flappy");
    let id = upload(&app.client, &app.url, data_csv(), &datasource, "append").await;
    for round in 0..5 {
        if round % 2 == 1 {
            // Let this run reach Druid, so the cancel meets a Druid task.
            wait_for(&app, &id, |t| t.druid.is_some() || t.status().is_terminal()).await;
        }
        let cancel = app.post(&format!("/api/ingest/tasks/{id}/cancel")).await;
        if cancel.status().as_u16() == 409 {
            break; // it finished first: nothing left to race
        }
        assert_eq!(cancel.status().as_u16(), 200);
        let retry = app.post(&format!("/api/ingest/tasks/{id}/retry")).await;
        assert_eq!(retry.status().as_u16(), 202);
    }
    let mut task = finished(&app, &id).await;
    if task.status() == TaskStatus::Cancelled {
        let retry = app.post(&format!("/api/ingest/tasks/{id}/retry")).await;
        assert_eq!(retry.status().as_u16(), 202);
        task = finished(&app, &id).await;
    }
    let in_druid = rows_of_upload(&datasource, &id).await;
    assert_once_in_druid(&task, in_druid);
    assert_eq!(
        rows_in_datasource(&datasource).await,
        in_druid,
        "nothing else either"
    );
}

/// A CSV big enough that Druid works on it for a while.
fn big_csv(rows: u32) -> Vec<u8> {
    let mut csv = String::from("time,device,reading\n");
    for n in 0..rows {
        csv.push_str(&format!(
            "2024-03-{:02}T{:02}:00:00Z,dev-{},{n}\n",
            1 + n % 28,
            n % 24,
            n % 97
        ));
    }
    csv.into_bytes()
}

#[tokio::test]
async fn a_worker_that_lost_its_lease_shuts_its_druid_task_down() {
    let app = TestApp::spawn_with(Backends::Druid, |s| s.workers = 1).await;
    let datasource = unique("druid_lost");
    let id = upload(
        &app.client,
        &app.url,
        big_csv(200_000),
        &datasource,
        "append",
    )
    .await;
    let running = wait_for(&app, &id, |t| t.druid.is_some() || t.status().is_terminal()).await;
    assert_eq!(
        running.status(),
        TaskStatus::Ingesting,
        "{:?}",
        running.error
    );
    // The lease goes from under the worker: straight into the store, so the
    // API's own shutdown does not run and only the worker can stop Druid.
    app.state
        .tasks
        .cancel(id.parse().expect("id"))
        .await
        .expect("store");
    let druid_task = format!("ingest-{id}");
    let mut last = None;
    for _ in 0..3000 {
        let status = overlord().status(&druid_task).await.expect("status");
        if matches!(
            status.code,
            TaskStatusCode::Success | TaskStatusCode::Failed
        ) {
            last = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let last = last.expect("the Druid task ended within 5 minutes");
    assert_eq!(last.code, TaskStatusCode::Failed, "shut down, not finished");
    assert!(
        last.error
            .as_deref()
            .unwrap_or_default()
            .contains("Shutdown"),
        "{:?}",
        last.error
    );
    assert_eq!(rows_of_upload(&datasource, &id).await, 0, "nothing visible");
    assert_eq!(app.task(&id).await.status(), TaskStatus::Cancelled);
}

#[tokio::test]
async fn druid_unreachable_while_its_task_runs_ends_once_with_every_row() {
    // The worker reaches the Overlord and Coordinator only through the
    // forwarder; Druid itself keeps running while the forwarder is off.
    let overlord =
        std::env::var("DRUID_OVERLORD_URL").unwrap_or_else(|_| required_env("DRUID_URL"));
    let forwarder = Forwarder::start(&host_port(&overlord)).await;
    let app = TestApp::spawn_with(Backends::Druid, |s| {
        s.workers = 1;
        s.druid_overlord_url = Some(forwarder.url());
        s.druid_coordinator_url = Some(forwarder.url());
    })
    .await;
    let datasource = unique("druid_gone");
    let id = upload(
        &app.client,
        &app.url,
        big_csv(50_000),
        &datasource,
        "append",
    )
    .await;
    let running = wait_for(&app, &id, |t| t.druid.is_some() || t.status().is_terminal()).await;
    assert_eq!(
        running.status(),
        TaskStatus::Ingesting,
        "{:?}",
        running.error
    );

    forwarder.down();
    let waiting = wait_for(&app, &id, |t| t.error.is_some() || t.status().is_terminal()).await;
    assert_eq!(
        waiting.error.as_ref().map(|e| e.code.as_str()),
        Some("druid_unreachable"),
        "recorded, and the task kept for a retry: {:?}",
        waiting.status()
    );
    assert!(!waiting.status().is_terminal());
    forwarder.up();

    let task = finished(&app, &id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert!(task.attempts >= 2, "followed again by a later attempt");
    assert_eq!(task.rows_in, Some(50_000));
    assert_eq!(task.row_count, Some(50_000));
    assert_eq!(rows_of_upload(&datasource, &id).await, 50_000, "once");
    assert_eq!(
        task.druid.as_ref().map(|d| d.task_id.clone()),
        Some(format!("ingest-{id}")),
        "the same Druid task, followed again"
    );
}

/// Someone shuts the running Druid task down in the Druid console (here:
/// through the Overlord API). Each attempt has its own Druid task id, so the
/// next attempt does not find that FAILED task again: it submits
/// `ingest-<id>-a2`, and the upload ends with every row, once.
#[tokio::test]
async fn a_druid_task_shut_down_from_outside_is_replaced_by_a_new_one() {
    let app = TestApp::spawn_with(Backends::Druid, |s| s.workers = 1).await;
    let datasource = unique("druid_shut");
    let rows = 200_000;
    let id = upload(&app.client, &app.url, big_csv(rows), &datasource, "append").await;
    let running = wait_for(&app, &id, |t| t.druid.is_some() || t.status().is_terminal()).await;
    assert_eq!(
        running.status(),
        TaskStatus::Ingesting,
        "{:?}",
        running.error
    );
    let first = format!("ingest-{id}");
    assert_eq!(
        running.druid.as_ref().map(|d| d.task_id.as_str()),
        Some(first.as_str())
    );
    overlord().shutdown(&first).await.expect("shutdown");

    let task = finished(&app, &id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.attempts, 2, "one more attempt, not the whole budget");
    assert_eq!(
        task.druid.as_ref().map(|d| d.task_id.clone()),
        Some(format!("ingest-{id}-a2")),
        "a Druid task of its own for the second attempt"
    );
    let shut = overlord().status(&first).await.expect("status");
    assert_eq!(shut.code, TaskStatusCode::Failed, "{:?}", shut.error);
    assert_eq!(task.rows_in, Some(u64::from(rows)));
    assert_eq!(task.row_count, Some(u64::from(rows)));
    let in_druid = rows_of_upload(&datasource, &id).await;
    assert_eq!(in_druid, u64::from(rows), "every row, once");
    assert_eq!(
        rows_in_datasource(&datasource).await,
        in_druid,
        "nothing else either"
    );
}
