//! The reaper, on the local store and on the real S3 server: one pass of
//! each kind of leftover a crash can leave, next to live data; exactly the
//! leftovers go, and nothing a task still needs.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use chrono::Utc;
use ingest_domain::{rejected_rows_key, TaskId, TaskStatus};
use ingest_pipeline::{normalized_key, Removed};
use ingest_storage::ObjectStore;
use serde_json::Value;

use crate::faults::rows_in_sink;
use crate::helpers::{data_csv, Backends, TestApp};

async fn put(store: &dyn ObjectStore, key: &str) {
    let mut upload = store.begin_upload(key).await.expect("begin");
    upload
        .write(Bytes::from_static(b"leftover"))
        .await
        .expect("write");
    upload.finish().await.expect("finish");
}

fn touch(path: &Path) {
    std::fs::create_dir_all(path.parent().expect("parent")).expect("folder");
    std::fs::write(path, b"leftover").expect("write");
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("list")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

async fn one_pass_removes_exactly_the_leftovers(backends: Backends) {
    let mut data_dir = PathBuf::new();
    let app = TestApp::spawn_with(backends, |s| {
        s.lifecycle.reaper_interval_secs = 0; // passes run by the test only
        data_dir = s.data_dir.clone();
    })
    .await;
    let objects = std::sync::Arc::clone(app.objects());

    // Live data: a finished task (its upload stays for "Run again", its
    // rows in the sink) and a queued one.
    let done = app.ingest("data.csv", data_csv(), "reaped").await;
    assert_eq!(done.status(), TaskStatus::Succeeded, "{:?}", done.error);
    let response = app.upload_bytes("data.csv", data_csv(), "reaped").await;
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.expect("JSON");
    let queued = app.task(body["task_id"].as_str().expect("id")).await;
    let rows = rows_in_sink(&app.client, &app.url, "reaped").await;
    let sink_dir = data_dir.join("datasources").join("reaped");
    let sink_files = names_in(&sink_dir);

    // Leftovers of every kind, and their live twins.
    let (absent, also_absent) = (TaskId::new(), TaskId::new());
    put(objects.as_ref(), &format!("uploads/{absent}/lost.csv")).await;
    // Rejected rows: kept while their task exists, removed with it.
    put(objects.as_ref(), &rejected_rows_key(absent)).await;
    put(objects.as_ref(), &rejected_rows_key(done.task_id)).await;
    let mut partial = objects
        .begin_upload(&format!("uploads/{also_absent}/partial.csv"))
        .await
        .expect("begin");
    partial
        .write(Bytes::from(vec![b'x'; 9 * 1024 * 1024]))
        .await
        .expect("write");
    // Its part lands now, not after the reaper's abort (a part stored after
    // an abort keeps the upload alive on some servers).
    partial.flush().await.expect("flush");
    std::mem::forget(partial); // as a crash would: never finished nor aborted
    put(
        objects.as_ref(),
        &format!("normalized/{}.json", done.task_id),
    )
    .await;
    put(
        objects.as_ref(),
        &format!("normalized/{}.json", queued.task_id),
    )
    .await;
    // A big file's normalized parts (each read by its own Druid subtask):
    // those of the finished task go, that of the queued one stays.
    for part in 0..2 {
        put(
            objects.as_ref(),
            &normalized_key(done.task_id, part, 2, "json"),
        )
        .await;
    }
    put(
        objects.as_ref(),
        &normalized_key(queued.task_id, 1, 2, "json"),
    )
    .await;
    let work = data_dir.join("work");
    touch(&work.join(format!("task-{}-a1/input", done.task_id)));
    touch(&work.join(format!("task-{absent}-b2/input")));
    touch(&work.join(format!("task-{}-c3/input", queued.task_id)));
    let staged = |id: TaskId| sink_dir.join(format!(".{id}.{}.staging", uuid::Uuid::new_v4()));
    touch(&staged(done.task_id));
    let live_staging = staged(queued.task_id);
    touch(&live_staging);

    let reaper = &app.state.reaper;
    let scraped_before = reaped_by_kind(&app).await;
    // Now: nothing judged by age goes (an upload may still be arriving);
    // the work folders of finished and unknown tasks do.
    let now = reaper.run_once().await;
    assert_eq!(
        now,
        Removed {
            work_dirs: 2,
            ..Removed::default()
        }
    );
    assert_eq!(objects.pending_uploads().await.expect("pending"), 1);

    // Two days later, everything else.
    let later = reaper
        .run_once_at(Utc::now() + chrono::Duration::days(2))
        .await;
    assert_eq!(
        later,
        Removed {
            stale_uploads: 1,
            orphan_objects: 2,
            normalized_objects: 3,
            work_dirs: 0,
            staging_files: 1,
        }
    );
    let counts = reaper.counts();
    assert_eq!((counts.passes(), counts.failed_steps()), (2, 0));
    assert_eq!(counts.totals().work_dirs, 2);
    // /metrics is per process and other tests' reapers share it: at least
    // this pass's removals show.
    let scraped_after = reaped_by_kind(&app).await;
    for (kind, removed) in [
        ("work_dir", 2.0),
        ("stale_upload", 1.0),
        ("staging_file", 1.0),
    ] {
        let moved = scraped_after(kind) - scraped_before(kind);
        assert!(
            moved >= removed,
            "{kind}: /metrics moved by {moved}, removed {removed}"
        );
    }

    assert_eq!(objects.pending_uploads().await.expect("pending"), 0);
    // (The status API does not show object keys; uploads are stored
    // under `uploads/{task id}/{file name}`.)
    let mut kept = vec![
        format!("uploads/{}/data.csv", done.task_id),
        format!("uploads/{}/data.csv", queued.task_id),
        format!("normalized/{}.json", queued.task_id),
        normalized_key(queued.task_id, 1, 2, "json"),
        rejected_rows_key(done.task_id),
    ];
    kept.sort();
    assert_eq!(objects.list("").await.expect("list"), kept);
    assert_eq!(names_in(&work), [format!("task-{}-c3", queued.task_id)]);
    let mut sink_now = sink_files.clone();
    sink_now.push(
        live_staging
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned(),
    );
    sink_now.sort();
    assert_eq!(
        names_in(&sink_dir),
        sink_now,
        "only the finished task's staging file went"
    );
    assert_eq!(rows_in_sink(&app.client, &app.url, "reaped").await, rows);

    // The queued task still runs from its upload.
    app.run_workers().await;
    assert_eq!(
        app.task(&queued.task_id.to_string()).await.status(),
        TaskStatus::Succeeded
    );
}

#[tokio::test]
async fn the_reaper_removes_exactly_the_leftovers_on_the_local_store() {
    one_pass_removes_exactly_the_leftovers(Backends::Embedded).await;
}

#[tokio::test]
async fn the_reaper_removes_exactly_the_leftovers_on_s3() {
    one_pass_removes_exactly_the_leftovers(Backends::Real).await;
}

/// `ingest_reaper_removed_total` by `kind`, as `/metrics` shows it now.
async fn reaped_by_kind(app: &TestApp) -> impl Fn(&str) -> f64 {
    let text = app
        .client
        .get(format!("{}/metrics", app.url))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");
    move |kind: &str| {
        let series = format!("ingest_reaper_removed_total{{kind=\"{kind}\"}} ");
        text.lines()
            .find_map(|line| line.strip_prefix(series.as_str()))
            .map_or(0.0, |value| value.trim().parse().expect("a number"))
    }
}
