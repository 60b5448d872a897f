//! One contract per storage trait, run against every backend: the local
//! folder and S3; SQLite and Postgres. Postgres and S3 come from
//! `scripts/stack.sh env`.

use std::{sync::Arc, time::Duration};

use bytes::Bytes;
use chrono::Utc;
use ingest_domain::{
    DatasourceName, FileFormat, IngestMode, StoredUpload, Task, TaskError, TaskId, TaskStatus,
};
use ingest_storage::{
    object::{LocalObjectStore, S3Config, S3ObjectStore},
    Claim, KeyRecord, ObjectStore, PostgresTaskStore, SqliteTaskStore, StorageError, TaskFilter,
    TaskOrder, TaskPage, TaskSortKey, TaskStore,
};

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: run `scripts/stack.sh up && eval \"$(scripts/stack.sh env)\"` (scripts/test.sh does this)")
    })
}

// ---------- object stores ----------

async fn local_store() -> (Arc<dyn ObjectStore>, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = LocalObjectStore::open(dir.path().join("objects"))
        .await
        .expect("open");
    (Arc::new(store), dir)
}

async fn s3_store() -> (Arc<dyn ObjectStore>, tempfile::TempDir) {
    let store = S3ObjectStore::connect(S3Config {
        bucket: env("S3_BUCKET"),
        endpoint: Some(env("S3_ENDPOINT")),
        region: env("S3_REGION"),
        prefix: format!("contract-{}", uuid::Uuid::new_v4().simple()),
        credentials: Some((env("AWS_ACCESS_KEY_ID"), env("AWS_SECRET_ACCESS_KEY"))),
    })
    .await
    .expect("connect");
    (Arc::new(store), tempfile::tempdir().expect("temp dir"))
}

async fn put(store: &dyn ObjectStore, key: &str, chunks: &[&[u8]]) -> u64 {
    let mut upload = store.begin_upload(key).await.expect("begin");
    for chunk in chunks {
        upload
            .write(Bytes::copy_from_slice(chunk))
            .await
            .expect("write");
    }
    upload.finish().await.expect("finish")
}

async fn round_trip(store: Arc<dyn ObjectStore>, dir: tempfile::TempDir) {
    assert_eq!(
        put(store.as_ref(), "a/one.csv", &[b"hello ", b"world"]).await,
        11
    );
    assert_eq!(store.size("a/one.csv").await.expect("size"), Some(11));
    let dest = dir.path().join("copy");
    assert_eq!(
        store
            .download_to("a/one.csv", &dest)
            .await
            .expect("download"),
        11
    );
    assert_eq!(std::fs::read(&dest).expect("read"), b"hello world");
    assert_eq!(read_all(store.as_ref(), "a/one.csv").await, b"hello world");
    put(store.as_ref(), "b/two.csv", &[b"x"]).await;
    assert_eq!(store.list("a/").await.expect("list"), ["a/one.csv"]);
    assert_eq!(store.list("").await.expect("list").len(), 2);
    store.delete("a/one.csv").await.expect("delete");
    assert_eq!(store.size("a/one.csv").await.expect("size"), None);
    store
        .delete("a/one.csv")
        .await
        .expect("deleting twice is fine");
    store.health().await.expect("healthy");
}

async fn large_objects_arrive_whole(store: Arc<dyn ObjectStore>, dir: tempfile::TempDir) {
    // ~46 MiB in uneven chunks, each chunk different: more multipart parts
    // than are sent at once, plus a short tail, and any reordering of parts
    // would show as a chunk in the wrong place.
    const LEN: usize = 997 * 1024;
    let chunks: Vec<Vec<u8>> = (0..47)
        .map(|i| (0..=250u8).cycle().skip(i).take(LEN).collect())
        .collect();
    let slices: Vec<&[u8]> = chunks.iter().map(Vec::as_slice).collect();
    let expected = (LEN * chunks.len()) as u64;
    assert_eq!(put(store.as_ref(), "big.bin", &slices).await, expected);
    let dest = dir.path().join("big");
    assert_eq!(
        store.download_to("big.bin", &dest).await.expect("download"),
        expected
    );
    let got = std::fs::read(&dest).expect("read");
    assert!(got
        .chunks(LEN)
        .zip(&chunks)
        .all(|(got, sent)| got == sent.as_slice()));
    assert!(
        read_all(store.as_ref(), "big.bin").await == got,
        "streamed whole"
    );
    assert_eq!(store.pending_uploads().await.expect("pending"), 0);
}

async fn aborted_and_dropped_uploads_leave_nothing(
    store: Arc<dyn ObjectStore>,
    _dir: tempfile::TempDir,
) {
    let part = vec![7u8; 9 * 1024 * 1024];
    let mut aborted = store.begin_upload("gone.bin").await.expect("begin");
    aborted
        .write(Bytes::from(part.clone()))
        .await
        .expect("write");
    assert_eq!(
        store.pending_uploads().await.expect("pending"),
        1,
        "an upload is under way"
    );
    aborted.abort().await.expect("abort");
    assert_eq!(store.pending_uploads().await.expect("pending"), 0);

    let mut dropped = store.begin_upload("dropped.bin").await.expect("begin");
    dropped.write(Bytes::from(part)).await.expect("write");
    drop(dropped);
    let mut clean = false;
    for _ in 0..100 {
        if store.pending_uploads().await.expect("pending") == 0 {
            clean = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(clean, "a dropped upload is cleaned up");
    assert!(store.list("").await.expect("list").is_empty());
}

async fn missing_objects_are_reported(store: Arc<dyn ObjectStore>, dir: tempfile::TempDir) {
    let error = store
        .download_to("nope", &dir.path().join("x"))
        .await
        .expect_err("missing");
    assert!(
        matches!(error, StorageError::ObjectNotFound { .. }),
        "{error:?}"
    );
    assert_eq!(store.size("nope").await.expect("size"), None);
    let error = store.read_stream("nope").await.err().expect("missing");
    assert!(
        matches!(error, StorageError::ObjectNotFound { .. }),
        "{error:?}"
    );
}

/// The whole object, through `read_stream`.
async fn read_all(store: &dyn ObjectStore, key: &str) -> Vec<u8> {
    use futures::TryStreamExt;
    let stream = store.read_stream(key).await.expect("open stream");
    let chunks: Vec<Bytes> = stream.try_collect().await.expect("read stream");
    chunks.concat()
}

async fn stale_uploads_are_aborted_and_objects_listed_with_their_age(
    store: Arc<dyn ObjectStore>,
    _dir: tempfile::TempDir,
) {
    put(store.as_ref(), "uploads/a/live.csv", &[b"kept"]).await;
    put(store.as_ref(), "elsewhere/x.csv", &[b"other"]).await;
    let listed = store.list_aged("uploads/").await.expect("list");
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].key, "uploads/a/live.csv");
    let age = Utc::now() - listed[0].modified;
    assert!(age.num_minutes().abs() < 5, "written just now: {age}");

    let mut partial = store
        .begin_upload("uploads/b/partial.bin")
        .await
        .expect("begin");
    partial
        .write(Bytes::from(vec![1u8; 9 * 1024 * 1024]))
        .await
        .expect("write");
    // The part on the wire lands before the sweep (a part stored after an
    // abort keeps the upload alive on some servers).
    partial.flush().await.expect("flush");
    let hour = chrono::Duration::hours(1);
    assert_eq!(
        store
            .abort_stale_uploads("uploads/", Utc::now() - hour)
            .await
            .expect("sweep"),
        0,
        "an upload begun now is not stale"
    );
    assert_eq!(
        store
            .abort_stale_uploads("normalized/", Utc::now() + hour)
            .await
            .expect("sweep"),
        0,
        "only under the prefix"
    );
    assert_eq!(store.pending_uploads().await.expect("pending"), 1);
    assert_eq!(
        store
            .abort_stale_uploads("uploads/", Utc::now() + hour)
            .await
            .expect("sweep"),
        1
    );
    assert_eq!(store.pending_uploads().await.expect("pending"), 0);
    assert_eq!(
        store.list("").await.expect("list"),
        ["elsewhere/x.csv", "uploads/a/live.csv"],
        "finished objects are untouched"
    );
    drop(partial);
}

macro_rules! object_contract {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            #[tokio::test]
            async fn round_trip() {
                let (s, d) = $make.await;
                super::round_trip(s, d).await
            }
            #[tokio::test]
            async fn large_objects_arrive_whole() {
                let (s, d) = $make.await;
                super::large_objects_arrive_whole(s, d).await
            }
            #[tokio::test]
            async fn aborted_and_dropped_uploads_leave_nothing() {
                let (s, d) = $make.await;
                super::aborted_and_dropped_uploads_leave_nothing(s, d).await
            }
            #[tokio::test]
            async fn stale_uploads_are_aborted_and_objects_listed_with_their_age() {
                let (s, d) = $make.await;
                super::stale_uploads_are_aborted_and_objects_listed_with_their_age(s, d).await
            }
            #[tokio::test]
            async fn missing_objects_are_reported() {
                let (s, d) = $make.await;
                super::missing_objects_are_reported(s, d).await
            }
        }
    };
}

object_contract!(object_local, local_store());
object_contract!(object_s3, s3_store());

#[path = "contract/tokens.rs"]
mod tokens;

#[path = "contract/progress.rs"]
mod progress;
use progress::progress_saves_are_fenced_and_cleared_when_the_stage_ends;

// ---------- task stores ----------

async fn sqlite_store() -> (Arc<dyn TaskStore>, Option<tempfile::TempDir>) {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("tasks.db").display());
    (
        Arc::new(SqliteTaskStore::connect(&url).await.expect("open")),
        Some(dir),
    )
}

/// A fresh, empty Postgres database.
async fn fresh_postgres_url() -> String {
    use sqlx::Connection;
    let admin = env("DATABASE_URL");
    let name = format!("contract_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin).await.expect("connect");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create db");
    format!("{}/{name}", admin.rsplit_once('/').expect("path").0)
}

async fn postgres_store() -> (Arc<dyn TaskStore>, Option<tempfile::TempDir>) {
    let url = fresh_postgres_url().await;
    (
        Arc::new(PostgresTaskStore::connect(&url).await.expect("open")),
        None,
    )
}

fn task(datasource: &str, created_offset_ms: i64) -> Task {
    let at = Utc::now() + chrono::Duration::milliseconds(created_offset_ms);
    let upload = StoredUpload {
        task_id: TaskId::new(),
        datasource: DatasourceName::parse(datasource).expect("name"),
        file_name: "f.csv".into(),
        object_key: format!("uploads/{datasource}/f.csv"),
        size_bytes: 10,
        sha256: "00".repeat(32),
        format: FileFormat::Csv,
        mode: IngestMode::Append,
        timestamp_column: None,
    };
    Task::queued(upload, at, at)
}

const LEASE: Duration = Duration::from_secs(30);

async fn insert_and_get(store: Arc<dyn TaskStore>) {
    let t = task("alpha", 0);
    store.insert(&t).await.expect("insert");
    let got = store.get(t.task_id).await.expect("get").expect("found");
    assert_eq!(got, t);
    assert_eq!(got.object_key, t.object_key, "object key survives");
    assert!(store.get(TaskId::new()).await.expect("get").is_none());
    store.health().await.expect("healthy");
}

async fn claim(store: &Arc<dyn TaskStore>, owner: &str, ttl: Duration) -> Option<Claim> {
    store.claim(owner, ttl).await.expect("claim")
}

async fn status_of(store: &Arc<dyn TaskStore>, id: TaskId) -> TaskStatus {
    store.get(id).await.expect("get").expect("task").status()
}

async fn claims_oldest_first_and_never_twice(store: Arc<dyn TaskStore>) {
    let (older, newer) = (task("a", -1000), task("b", 0));
    store.insert(&newer).await.expect("insert");
    store.insert(&older).await.expect("insert");
    let first = claim(&store, "w1", LEASE).await.expect("a task");
    assert_eq!(first.task.task_id, older.task_id);
    assert_eq!(first.task.attempts, 1);
    let second = claim(&store, "w2", LEASE).await.expect("a task");
    assert_eq!(second.task.task_id, newer.task_id);
    assert_ne!(first.lease, second.lease, "every claim has its own token");
    assert!(claim(&store, "w3", LEASE).await.is_none(), "both leased");
}

async fn concurrent_claims_get_distinct_tasks(store: Arc<dyn TaskStore>) {
    for i in 0..8 {
        store.insert(&task("c", i)).await.expect("insert");
    }
    let claims = (0..12).map(|w| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .claim(&format!("w{w}"), LEASE)
                .await
                .expect("claim")
                .map(|c| c.task.task_id)
        })
    });
    let mut got: Vec<TaskId> = futures::future::join_all(claims)
        .await
        .into_iter()
        .filter_map(|r| r.expect("joined"))
        .collect();
    assert_eq!(got.len(), 8);
    got.sort_by_key(|id| id.0);
    got.dedup();
    assert_eq!(got.len(), 8, "no task claimed twice");
}

async fn expired_leases_are_taken_over_and_fence_out_the_old_claim(store: Arc<dyn TaskStore>) {
    store.insert(&task("d", 0)).await.expect("insert");
    let crashed = claim(&store, "same-process", Duration::from_millis(1))
        .await
        .expect("task");
    tokio::time::sleep(Duration::from_millis(20)).await;
    // The same owner name, as two workers of one process would have: only
    // the token tells the claims apart.
    let rescuer = claim(&store, "same-process", LEASE)
        .await
        .expect("taken over");
    assert_eq!(
        (rescuer.task.task_id, rescuer.task.attempts),
        (crashed.task.task_id, 2)
    );
    let mut t = crashed.task.clone();
    t.start_validation(Utc::now()).expect("transition");
    assert!(
        !store.save(&t, &crashed.lease, LEASE).await.expect("save"),
        "the old claim lost it"
    );
    assert!(!store
        .renew(t.task_id, &crashed.lease, LEASE)
        .await
        .expect("renew"));
    assert!(!store
        .release(&t, &crashed.lease, Utc::now())
        .await
        .expect("release"));
    assert_eq!(status_of(&store, t.task_id).await, TaskStatus::Queued);
    assert!(store
        .renew(t.task_id, &rescuer.lease, LEASE)
        .await
        .expect("renew"));
    assert!(store.save(&t, &rescuer.lease, LEASE).await.expect("save"));
    assert_eq!(status_of(&store, t.task_id).await, TaskStatus::Validating);
}

async fn cancel_then_requeue_then_claim_fences_out_the_first_attempt(store: Arc<dyn TaskStore>) {
    store.insert(&task("h", 0)).await.expect("insert");
    let first = claim(&store, "w", LEASE).await.expect("task");
    let id = first.task.task_id;
    store.cancel(id).await.expect("cancel").expect("task");
    let queued = store.requeue(id).await.expect("requeue").expect("task");
    assert_eq!(queued.status(), TaskStatus::Queued);
    let second = claim(&store, "w", LEASE).await.expect("claimable again");
    assert_eq!(second.task.task_id, id);

    let mut stale = first.task.clone();
    stale.start_validation(Utc::now()).expect("transition");
    assert!(
        !store.save(&stale, &first.lease, LEASE).await.expect("save"),
        "the first attempt's save changes nothing"
    );
    assert!(!store.renew(id, &first.lease, LEASE).await.expect("renew"));
    assert_eq!(status_of(&store, id).await, TaskStatus::Queued);
    assert!(store.renew(id, &second.lease, LEASE).await.expect("renew"));
}

async fn released_tasks_wait_for_their_retry_time(store: Arc<dyn TaskStore>) {
    store.insert(&task("i", 0)).await.expect("insert");
    let first = claim(&store, "w", LEASE).await.expect("task");
    let mut t = first.task.clone();
    t.start_validation(Utc::now()).expect("transition");
    t.record_error(
        TaskError::new("object_store_unavailable", "S3 said 503", None),
        Utc::now(),
    );
    let later = Utc::now() + chrono::Duration::seconds(60);
    assert!(store
        .release(&t, &first.lease, later)
        .await
        .expect("release"));
    assert!(
        claim(&store, "w", LEASE).await.is_none(),
        "not before its retry time"
    );
    assert!(
        !store
            .renew(t.task_id, &first.lease, LEASE)
            .await
            .expect("renew"),
        "a released lease is gone"
    );
    let stored = store.get(t.task_id).await.expect("get").expect("task");
    assert_eq!(stored.status(), TaskStatus::Validating);
    assert_eq!(
        stored.error.map(|e| e.code),
        Some("object_store_unavailable".to_owned()),
        "the last error is recorded"
    );

    store.insert(&task("j", 0)).await.expect("insert");
    let other = claim(&store, "w", LEASE).await.expect("the other task");
    assert!(store
        .release(
            &other.task,
            &other.lease,
            Utc::now() - chrono::Duration::seconds(1)
        )
        .await
        .expect("release"));
    let again = claim(&store, "w", LEASE).await.expect("due again");
    assert_eq!(
        (again.task.task_id, again.task.attempts),
        (other.task.task_id, 2)
    );
}

async fn finished_tasks_stay_finished(store: Arc<dyn TaskStore>) {
    store.insert(&task("e", 0)).await.expect("insert");
    let Claim { task: mut t, lease } = claim(&store, "w", LEASE).await.expect("task");
    t.start_validation(Utc::now()).expect("transition");
    t.start_ingesting(Utc::now()).expect("transition");
    t.succeed(5, Utc::now()).expect("transition");
    assert!(store.save(&t, &lease, LEASE).await.expect("save"));
    assert!(
        claim(&store, "w", LEASE).await.is_none(),
        "finished tasks are not claimable"
    );
    let mut failed = t.clone();
    assert!(
        failed
            .fail(TaskError::new("x", "y", None), Utc::now())
            .is_err(),
        "the state machine refuses it"
    );
    assert!(
        !store.save(&failed, &lease, LEASE).await.expect("save"),
        "and the store too: a finished task cannot change"
    );
    let cancelled = store
        .cancel(t.task_id)
        .await
        .expect("cancel")
        .expect("task");
    assert_eq!(
        cancelled.status(),
        TaskStatus::Succeeded,
        "cancel leaves finished tasks alone"
    );
    assert_eq!(cancelled.row_count, Some(5));
}

async fn cancel_stops_the_owner(store: Arc<dyn TaskStore>) {
    store.insert(&task("f", 0)).await.expect("insert");
    let Claim { task: t, lease } = claim(&store, "w", LEASE).await.expect("task");
    let cancelled = store
        .cancel(t.task_id)
        .await
        .expect("cancel")
        .expect("task");
    assert_eq!(cancelled.status(), TaskStatus::Cancelled);
    assert!(
        !store.save(&t, &lease, LEASE).await.expect("save"),
        "owner told to stop"
    );
    assert!(!store.renew(t.task_id, &lease, LEASE).await.expect("renew"));
    assert_eq!(status_of(&store, t.task_id).await, TaskStatus::Cancelled);
    assert!(store.cancel(TaskId::new()).await.expect("cancel").is_none());
}

async fn failed_tasks_can_be_queued_again_and_others_cannot(store: Arc<dyn TaskStore>) {
    store.insert(&task("g", 0)).await.expect("insert");
    let Claim { task: mut t, lease } = claim(&store, "w", LEASE).await.expect("task");
    assert_eq!(
        store
            .requeue(t.task_id)
            .await
            .expect("requeue")
            .expect("task")
            .status(),
        TaskStatus::Queued,
        "a running task is left alone"
    );
    t.row_count = Some(3);
    t.fail(TaskError::new("boom", "it broke", None), Utc::now())
        .expect("transition");
    assert!(store.save(&t, &lease, LEASE).await.expect("save"));

    let again = store
        .requeue(t.task_id)
        .await
        .expect("requeue")
        .expect("task");
    assert_eq!(again.status(), TaskStatus::Queued);
    assert_eq!((again.retries, again.attempts), (1, 0));
    assert!(again.error.is_none() && again.row_count.is_none());
    let Claim {
        task: claimed,
        lease,
    } = claim(&store, "w2", LEASE).await.expect("claimable again");
    assert_eq!(claimed.task_id, t.task_id);
    assert_eq!((claimed.retries, claimed.attempts), (1, 1));

    let mut done = claimed;
    done.start_validation(Utc::now()).expect("transition");
    done.start_ingesting(Utc::now()).expect("transition");
    done.succeed(3, Utc::now()).expect("transition");
    assert!(store.save(&done, &lease, LEASE).await.expect("save"));
    let kept = store
        .requeue(t.task_id)
        .await
        .expect("requeue")
        .expect("task");
    assert_eq!(
        kept.status(),
        TaskStatus::Succeeded,
        "a success is never re-run"
    );
    assert!(store
        .requeue(TaskId::new())
        .await
        .expect("requeue")
        .is_none());
}

async fn lists_newest_first_with_filters_and_pages(store: Arc<dyn TaskStore>) {
    let tasks: Vec<Task> = (0..5)
        .map(|i| task(if i % 2 == 0 { "even" } else { "odd" }, i * 10))
        .collect();
    for t in &tasks {
        store.insert(t).await.expect("insert");
    }
    let all = store.list(&TaskFilter::default()).await.expect("list");
    assert_eq!(all.total, 5);
    let ids: Vec<TaskId> = all.tasks.iter().map(|t| t.task_id).collect();
    let expected: Vec<TaskId> = tasks.iter().rev().map(|t| t.task_id).collect();
    assert_eq!(ids, expected);
    let page = store
        .list(&TaskFilter {
            datasource: Some("even".into()),
            limit: 2,
            offset: 1,
            ..TaskFilter::default()
        })
        .await
        .expect("list");
    assert_eq!(page.total, 3);
    assert_eq!(
        page.tasks.iter().map(|t| t.task_id).collect::<Vec<_>>(),
        [tasks[2].task_id, tasks[0].task_id]
    );
    let none = store
        .list(&TaskFilter {
            status: Some(TaskStatus::Failed),
            ..TaskFilter::default()
        })
        .await
        .expect("list");
    assert_eq!((none.total, none.tasks.len()), (0, 0));
}

async fn sorts_the_whole_list_by_each_key_with_missing_values_last(store: Arc<dyn TaskStore>) {
    // (file, rows, size, created offset): rows are unknown before validation.
    let specs = [
        ("b.csv", Some(5), 300, 0),
        ("D.csv", None, 100, 10),
        ("a.csv", Some(50), 200, 20),
        ("c.csv", Some(7), 50, 30),
    ];
    for (file, rows, size, at) in specs {
        let mut t = task(if rows.is_some() { "Known" } else { "pending" }, at);
        t.file_name = file.into();
        t.row_count = rows;
        t.size_bytes = size;
        store.insert(&t).await.expect("insert");
    }
    let sorted = |by: TaskSortKey, ascending: bool, limit: u32, offset: u32| {
        let store = store.clone();
        async move {
            let filter = TaskFilter {
                order: TaskOrder { by, ascending },
                limit,
                offset,
                ..TaskFilter::default()
            };
            let page = store.list(&filter).await.expect("list");
            page.tasks
                .into_iter()
                .map(|t| t.file_name)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        sorted(TaskSortKey::FileName, true, 10, 0).await,
        ["a.csv", "b.csv", "c.csv", "D.csv"],
        "names sort in any case"
    );
    assert_eq!(
        sorted(TaskSortKey::Rows, false, 10, 0).await,
        ["a.csv", "c.csv", "b.csv", "D.csv"]
    );
    assert_eq!(
        sorted(TaskSortKey::Rows, true, 10, 0).await,
        ["b.csv", "c.csv", "a.csv", "D.csv"],
        "unknown row counts last in both directions"
    );
    assert_eq!(
        sorted(TaskSortKey::Size, false, 2, 1).await,
        ["a.csv", "D.csv"],
        "a page of the sorted whole"
    );
    assert_eq!(
        sorted(TaskSortKey::CreatedAt, true, 10, 0).await,
        ["b.csv", "D.csv", "a.csv", "c.csv"]
    );
    assert_eq!(
        sorted(TaskSortKey::Datasource, true, 10, 0).await,
        ["c.csv", "a.csv", "b.csv", "D.csv"],
        "datasource in any case, ties newest first"
    );
}

async fn the_queue_counts_waiting_tasks_and_dates_the_oldest(store: Arc<dyn TaskStore>) {
    let empty = store.queue().await.expect("queue");
    assert_eq!((empty.depth, empty.oldest_created_at), (0, None));
    let (oldest, middle, newest) = (task("q", -3000), task("q", -2000), task("q", 0));
    for t in [&newest, &oldest, &middle] {
        store.insert(t).await.expect("insert");
    }
    let millis = |t: &Task| t.created_at.timestamp_millis();
    let queue = store.queue().await.expect("queue");
    assert_eq!(queue.depth, 3);
    assert_eq!(
        queue.oldest_created_at.map(|at| at.timestamp_millis()),
        Some(millis(&oldest))
    );

    // The oldest starts validating: it no longer waits.
    let Claim { mut task, lease } = claim(&store, "w", LEASE).await.expect("a task");
    assert_eq!(task.task_id, oldest.task_id);
    task.start_validation(Utc::now()).expect("legal");
    assert!(store.save(&task, &lease, LEASE).await.expect("save"));
    let queue = store.queue().await.expect("queue");
    assert_eq!(queue.depth, 2);
    assert_eq!(
        queue.oldest_created_at.map(|at| at.timestamp_millis()),
        Some(millis(&middle))
    );
}

async fn datasource_filter_matches_part_of_a_name_in_any_case(store: Arc<dyn TaskStore>) {
    for (i, name) in ["Sales_2024", "sales-eu", "salesX2024", "web_logs"]
        .iter()
        .enumerate()
    {
        store
            .insert(&task(name, i as i64 * 10))
            .await
            .expect("insert");
    }
    let names = |page: TaskPage| -> Vec<String> {
        page.tasks
            .iter()
            .map(|t| t.datasource.to_string())
            .collect()
    };
    let matching = |part: &str| TaskFilter {
        datasource: Some(part.into()),
        ..TaskFilter::default()
    };
    let sales = store.list(&matching("SALES")).await.expect("list");
    assert_eq!(sales.total, 3);
    assert_eq!(names(sales), ["salesX2024", "sales-eu", "Sales_2024"]);
    // `_` is a character here, not LIKE's "any character".
    let underscore = store.list(&matching("s_2")).await.expect("list");
    assert_eq!(names(underscore), ["Sales_2024"]);
    let none = store.list(&matching("%")).await.expect("list");
    assert_eq!(none.total, 0, "% is a character too");
}

async fn idempotency_keys_are_reserved_once_and_recorded_with_their_task(
    store: Arc<dyn TaskStore>,
) {
    let long_ago = Utc::now() - chrono::Duration::hours(1);
    assert_eq!(
        store.reserve_key("k1", long_ago).await.expect("reserve"),
        None
    );
    let in_flight = store.reserve_key("k1", long_ago).await.expect("again");
    assert_eq!(in_flight, Some(KeyRecord::default()), "in flight");
    let t = task("keyed", 0);
    store.insert_keyed(&t, "k1").await.expect("insert keyed");
    assert_eq!(store.get(t.task_id).await.expect("get"), Some(t.clone()));
    let record = store
        .reserve_key("k1", Utc::now())
        .await
        .expect("retry")
        .expect("taken");
    assert_eq!(record.task_id, Some(t.task_id));
    assert_eq!(record.sha256.as_deref(), Some(t.sha256.as_str()));
    assert_eq!(record.datasource.as_deref(), Some("keyed"));
    assert_eq!(record.mode.as_deref(), Some("append"));

    // A rejected upload lets go of its key; a crash's leftover goes stale.
    assert_eq!(
        store.reserve_key("k2", long_ago).await.expect("reserve"),
        None
    );
    store.forget_key("k2").await.expect("forget");
    assert_eq!(
        store.reserve_key("k2", long_ago).await.expect("reserve"),
        None
    );
    let later = Utc::now() + chrono::Duration::seconds(1);
    assert_eq!(store.reserve_key("k2", later).await.expect("stale"), None);
    store.forget_key("k1").await.expect("forget a recorded key");
    assert!(store
        .reserve_key("k1", later)
        .await
        .expect("kept")
        .is_some());
}

async fn a_committed_task_cannot_be_cancelled(store: Arc<dyn TaskStore>) {
    store.insert(&task("committed", 0)).await.expect("insert");
    let Claim { task: mut t, lease } = claim(&store, "w", LEASE).await.expect("task");
    t.start_validation(Utc::now()).expect("transition");
    t.start_ingesting(Utc::now()).expect("transition");
    t.commit(Utc::now()).expect("commit");
    assert!(store.save(&t, &lease, LEASE).await.expect("save"));
    let refused = store
        .cancel(t.task_id)
        .await
        .expect("cancel")
        .expect("task");
    assert_eq!(refused.status(), TaskStatus::Ingesting);
    assert!(refused.is_committed());
    t.succeed(3, Utc::now()).expect("succeed");
    assert!(
        store.save(&t, &lease, LEASE).await.expect("save"),
        "the lease still holds after the refused cancel"
    );
    assert_eq!(status_of(&store, t.task_id).await, TaskStatus::Succeeded);
}

async fn handed_back_tasks_are_claimable_at_once_unless_committed(store: Arc<dyn TaskStore>) {
    store.insert(&task("handed", 0)).await.expect("insert");
    let Claim { task: mut t, lease } = claim(&store, "w", LEASE).await.expect("task");
    t.start_validation(Utc::now()).expect("transition");
    assert!(store.save(&t, &lease, LEASE).await.expect("save"));
    t.hand_back(Utc::now()).expect("hand back");
    assert!(store.hand_back(&t, &lease).await.expect("hand back"));
    let stored = store.get(t.task_id).await.expect("get").expect("task");
    assert_eq!((stored.status(), stored.attempts), (TaskStatus::Queued, 0));
    assert!(
        !store.renew(t.task_id, &lease, LEASE).await.expect("renew"),
        "the handed-back lease is gone"
    );
    assert!(
        !store.hand_back(&t, &lease).await.expect("hand back"),
        "fenced by the lease"
    );
    let again = claim(&store, "other", LEASE)
        .await
        .expect("claimable at once, long before the lease would have run out");
    assert_eq!(
        (again.task.task_id, again.task.attempts),
        (t.task_id, 1),
        "the handed-back attempt is not counted"
    );

    // Past the commit point the store refuses, whatever the worker sends.
    let Claim { task: mut c, lease } = again;
    c.start_validation(Utc::now()).expect("transition");
    c.start_ingesting(Utc::now()).expect("transition");
    let mut committed = c.clone();
    committed.commit(Utc::now()).expect("commit");
    assert!(store.save(&committed, &lease, LEASE).await.expect("save"));
    c.hand_back(Utc::now())
        .expect("the worker's stale copy is uncommitted");
    assert!(!store.hand_back(&c, &lease).await.expect("hand back"));
    let stored = store.get(c.task_id).await.expect("get").expect("task");
    assert_eq!(stored.status(), TaskStatus::Ingesting);
    assert!(stored.is_committed());
    assert!(
        store.renew(c.task_id, &lease, LEASE).await.expect("renew"),
        "the committed run keeps its lease"
    );
}

async fn earlier_uploads_of_the_same_content_are_found(store: Arc<dyn TaskStore>) {
    let content = |datasource: &str, sha: char, offset: i64| {
        let mut t = task(datasource, offset);
        t.sha256 = sha.to_string().repeat(64);
        t
    };
    let sha_a = "a".repeat(64);
    assert_eq!(
        store.same_content("dup", &sha_a).await.expect("query"),
        None
    );
    let first = content("dup", 'a', -3000);
    let second = content("dup", 'a', -2000);
    let elsewhere = content("other", 'a', -1000);
    let different = content("dup", 'b', -500);
    for t in [&first, &second, &elsewhere, &different] {
        store.insert(t).await.expect("insert");
    }
    assert_eq!(
        store.same_content("dup", &sha_a).await.expect("query"),
        Some(second.task_id),
        "the newest upload of that content to that datasource"
    );
    // A cancelled (or failed) upload left no rows behind: it does not count.
    store.cancel(second.task_id).await.expect("cancel");
    assert_eq!(
        store.same_content("dup", &sha_a).await.expect("query"),
        Some(first.task_id)
    );
    store.cancel(first.task_id).await.expect("cancel");
    assert_eq!(
        store.same_content("dup", &sha_a).await.expect("query"),
        None
    );
    assert_eq!(
        store.same_content("other", &sha_a).await.expect("query"),
        Some(elsewhere.task_id)
    );
}

macro_rules! task_contract {
    ($backend:ident, $make:expr) => {
        mod $backend {
            use super::*;
            task_contract!(@tests $make; insert_and_get, claims_oldest_first_and_never_twice,
                concurrent_claims_get_distinct_tasks,
                expired_leases_are_taken_over_and_fence_out_the_old_claim,
                cancel_then_requeue_then_claim_fences_out_the_first_attempt,
                released_tasks_wait_for_their_retry_time,
                finished_tasks_stay_finished, cancel_stops_the_owner,
                failed_tasks_can_be_queued_again_and_others_cannot,
                lists_newest_first_with_filters_and_pages,
                sorts_the_whole_list_by_each_key_with_missing_values_last,
                the_queue_counts_waiting_tasks_and_dates_the_oldest,
                idempotency_keys_are_reserved_once_and_recorded_with_their_task,
                a_committed_task_cannot_be_cancelled,
                datasource_filter_matches_part_of_a_name_in_any_case,
                handed_back_tasks_are_claimable_at_once_unless_committed,
                earlier_uploads_of_the_same_content_are_found,
                progress_saves_are_fenced_and_cleared_when_the_stage_ends);
        }
    };
    (@tests $make:expr; $($name:ident),*) => {
        $(
            #[tokio::test]
            async fn $name() {
                let (store, _dir) = $make.await;
                super::$name(store).await
            }
        )*
    };
}

task_contract!(tasks_sqlite, sqlite_store());
task_contract!(tasks_postgres, postgres_store());
