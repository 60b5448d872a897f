//! Progress publications (`TaskStore::save_progress`) are fenced like every
//! other write of a claimed task: part of the task contract, on SQLite and
//! Postgres.

use std::sync::Arc;

use chrono::Utc;
use ingest_domain::{TaskError, TaskProgress, TaskStatus, ValidationPass};
use ingest_storage::TaskStore;

use super::{claim, task, LEASE};

fn validating(rows: u64) -> TaskProgress {
    TaskProgress::validation(
        ValidationPass::Profiling,
        Some(rows * 10),
        1_000,
        rows,
        Utc::now(),
    )
}

pub async fn progress_saves_are_fenced_and_cleared_when_the_stage_ends(store: Arc<dyn TaskStore>) {
    store.insert(&task("p", 0)).await.expect("insert");
    let mut first = claim(&store, "w", LEASE).await.expect("task");
    let id = first.task.task_id;
    // Queued: no stage runs, nothing is saved.
    assert!(!store
        .save_progress(id, &first.lease, &validating(1))
        .await
        .expect("save progress"));
    first.task.start_validation(Utc::now()).expect("transition");
    assert!(store
        .save(&first.task, &first.lease, LEASE)
        .await
        .expect("save"));

    let published = validating(7);
    assert!(store
        .save_progress(id, &first.lease, &published)
        .await
        .expect("save progress"));
    let got = store.get(id).await.expect("get").expect("task");
    assert_eq!(got.progress.as_ref(), Some(&published));
    // The task's own saves neither store progress in its body nor drop it.
    assert!(store.save(&got, &first.lease, LEASE).await.expect("save"));
    assert_eq!(
        store.get(id).await.expect("get").expect("task").progress,
        Some(published.clone())
    );
    // Ingestion progress while validating is refused: wrong stage.
    let ingesting = TaskProgress::ingestion(Some(3), 10, None, Utc::now());
    assert!(!store
        .save_progress(id, &first.lease, &ingesting)
        .await
        .expect("save progress"));

    // A wrong lease token saves nothing.
    store.cancel(id).await.expect("cancel").expect("task");
    assert_eq!(
        store.get(id).await.expect("get").expect("task").progress,
        None,
        "a cancel clears it"
    );
    store.requeue(id).await.expect("requeue").expect("task");
    let mut second = claim(&store, "w", LEASE).await.expect("claimable again");
    second
        .task
        .start_validation(Utc::now())
        .expect("transition");
    assert!(store
        .save(&second.task, &second.lease, LEASE)
        .await
        .expect("save"));
    assert!(
        !store
            .save_progress(id, &first.lease, &validating(9))
            .await
            .expect("save progress"),
        "a superseded claim cannot publish"
    );
    assert_eq!(
        store.get(id).await.expect("get").expect("task").progress,
        None
    );
    assert!(store
        .save_progress(id, &second.lease, &validating(2))
        .await
        .expect("save progress"));

    // A terminal save clears it, and nothing is written afterwards.
    let mut failed = store.get(id).await.expect("get").expect("task");
    failed
        .fail(TaskError::new("x", "stop", None), Utc::now())
        .expect("transition");
    assert!(store
        .save(&failed, &second.lease, LEASE)
        .await
        .expect("save"));
    assert!(!store
        .save_progress(id, &second.lease, &validating(3))
        .await
        .expect("save progress"));
    let got = store.get(id).await.expect("get").expect("task");
    assert_eq!(got.status(), TaskStatus::Failed);
    assert_eq!(got.progress, None);
}
