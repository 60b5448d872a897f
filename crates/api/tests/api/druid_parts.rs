//! Big files in parallel (issue 12 §3), against the real Druid: the
//! normalized file is cut into parts, all read by one `index_parallel` task
//! as its `objects`, in subtasks; and uploads at once never fill Druid's
//! worker slots with tasks waiting for each other (the server caps its
//! running Druid tasks, the stack's capacity fits them and their subtasks).

use chrono::{DateTime, Utc};
use ingest_domain::{Task, TaskStatus};
use serde_json::Value;

use crate::druid::{druid, rows_of_upload, unique};
use crate::faults::upload;
use crate::helpers::{required_env, Backends, TestApp};

const MIB: u64 = 1024 * 1024;

/// `seq` of the first row of a `big_csv` of seed 1 (seed 0 starts at 0).
const SEED_SEQ: u64 = 1_000_000;

/// A CSV of `rows` rows over ten days whose normalized JSON lines come to
/// about 150 bytes each: 30,000 rows make ~4 MiB, four parts of 1 MiB.
/// Each row has its own `seq`, `seed * SEED_SEQ + n`, so Druid SQL can tell
/// every row (and every upload's rows) apart.
fn big_csv(rows: u32, seed: u32) -> Vec<u8> {
    let mut out = String::from("time,seq,store,units,price,note\n");
    for n in 0..rows {
        let day = 1 + n % 10;
        let (hour, minute) = ((n / 10) % 24, (n / 240) % 60);
        out.push_str(&format!(
            "2024-03-{day:02}T{hour:02}:{minute:02}:00Z,{},store-{:04},{},{}.{:02},padding so that a part holds fewer rows {seed}\n",
            u64::from(seed) * SEED_SEQ + u64::from(n),
            (n * 7 + seed) % 500,
            n % 97,
            n % 50,
            n % 100
        ));
    }
    out.into_bytes()
}

/// The task as the Overlord keeps it (`payload` is the spec we submitted).
async fn overlord_task(id: &str) -> Value {
    let base = std::env::var("DRUID_OVERLORD_URL").unwrap_or_else(|_| required_env("DRUID_URL"));
    let url = format!("{}/druid/indexer/v1/task/{id}", base.trim_end_matches('/'));
    let response = reqwest::get(&url).await.expect("Overlord answers");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    response.json().await.expect("task JSON")
}

/// When Druid started and ended a task, by its own clock.
async fn druid_run(id: &str) -> (DateTime<Utc>, DateTime<Utc>) {
    let base = std::env::var("DRUID_OVERLORD_URL").unwrap_or_else(|_| required_env("DRUID_URL"));
    let url = format!(
        "{}/druid/indexer/v1/task/{id}/status",
        base.trim_end_matches('/')
    );
    let body: Value = reqwest::get(&url)
        .await
        .expect("Overlord answers")
        .json()
        .await
        .expect("status JSON");
    let status = &body["status"];
    let created: DateTime<Utc> = status["createdTime"]
        .as_str()
        .and_then(|t| t.parse().ok())
        .unwrap_or_else(|| panic!("createdTime in {body}"));
    let millis = status["duration"].as_i64().expect("duration");
    (created, created + chrono::Duration::milliseconds(millis))
}

/// Succeeded with every validated row in Druid (SQL), read by one Druid
/// task from several parts; returns that task's id.
async fn assert_ingested_in_parts(
    app: &TestApp,
    task: &Task,
    datasource: &str,
    rows: u64,
) -> String {
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    let report = task.validation.as_ref().expect("report");
    assert_eq!(report.rows_accepted, rows);
    assert_eq!(
        rows_of_upload(datasource, &task.task_id.to_string()).await,
        rows
    );
    let state = task.druid.as_ref().expect("Druid state");
    assert_eq!(state.rows_in_druid, Some(rows));

    let submitted = &overlord_task(&state.task_id).await["payload"]["spec"];
    let objects = submitted["ioConfig"]["inputSource"]["objects"]
        .as_array()
        .expect("objects");
    assert!(objects.len() >= 3, "several parts: {objects:?}");
    assert_eq!(submitted["tuningConfig"]["maxNumConcurrentSubTasks"], 2);
    // Each listed object is one of the parts the server stored, in order.
    let stored = app
        .objects()
        .list(&format!("normalized/{}", task.task_id))
        .await
        .expect("list");
    assert_eq!(stored.len(), objects.len(), "{stored:?}");
    for (object, key) in objects.iter().zip(&stored) {
        let path = object["path"].as_str().expect("path");
        assert!(path.ends_with(key.as_str()), "{path} is {key}");
    }
    state.task_id.clone()
}

#[tokio::test]
async fn a_big_file_is_read_by_one_druid_task_from_several_parts() {
    let app = TestApp::spawn_with(Backends::Druid, |s| {
        s.druid.part_bytes = MIB;
        s.druid.max_subtasks = 2;
    })
    .await;
    let datasource = unique("parts");
    let task = app.ingest("big.csv", big_csv(30_000, 0), &datasource).await;
    assert_ingested_in_parts(&app, &task, &datasource, 30_000).await;
}

/// Three uploads at once on a server that runs two Druid tasks at once,
/// each task with two subtasks: all three succeed (no task waits for ever
/// for a slot another holds), and never more than two of the server's
/// Druid tasks ran at the same time (by Druid's own clock).
#[tokio::test]
async fn big_uploads_at_once_all_finish_within_the_servers_druid_task_cap() {
    let app = TestApp::spawn_with(Backends::Druid, |s| {
        s.druid.part_bytes = MIB;
        s.druid.max_subtasks = 2;
        s.druid.max_concurrent_tasks = 2;
    })
    .await;
    let mut uploads = Vec::new();
    for seed in 0..3 {
        let datasource = unique("parts_at_once");
        let response = app
            .upload_bytes("big.csv", big_csv(30_000, seed), &datasource)
            .await;
        assert_eq!(response.status().as_u16(), 202);
        let body: Value = response.json().await.expect("JSON");
        uploads.push((body["task_id"].as_str().expect("id").to_owned(), datasource));
    }
    let pipeline = &app.state.pipeline;
    let (a, b, c) = tokio::join!(
        pipeline.run_next(),
        pipeline.run_next(),
        pipeline.run_next()
    );
    for ran in [a, b, c] {
        assert!(ran.expect("claims").is_some(), "each worker ran a task");
    }

    let mut runs = Vec::new();
    for (id, datasource) in &uploads {
        let task = app.task(id).await;
        let druid_task = assert_ingested_in_parts(&app, &task, datasource, 30_000).await;
        runs.push(druid_run(&druid_task).await);
    }
    for (start, _) in &runs {
        let running = runs.iter().filter(|(s, e)| s <= start && start < e).count();
        assert!(running <= 2, "at most 2 Druid tasks at once: {runs:?}");
    }
}

/// The first and last `seq` and the number of rows of each stored part of
/// an upload, read back from the object store (the parts are whole lines of
/// the normalized file, in order).
async fn seqs_of_parts(app: &TestApp, task: &Task) -> Vec<(u64, u64, u64)> {
    let dir = tempfile::tempdir().expect("dir");
    let keys = app
        .objects()
        .list(&format!("normalized/{}", task.task_id))
        .await
        .expect("list");
    let mut parts = Vec::new();
    for (index, key) in keys.iter().enumerate() {
        let path = dir.path().join(index.to_string());
        app.objects().download_to(key, &path).await.expect("part");
        let text = std::fs::read_to_string(&path).expect("part text");
        let seqs: Vec<u64> = text
            .lines()
            .map(|line| {
                let row: Value = serde_json::from_str(line).expect("a JSON line");
                row["seq"]
                    .as_u64()
                    .unwrap_or_else(|| panic!("seq in {line}"))
            })
            .collect();
        let (first, last) = (seqs[0], seqs[seqs.len() - 1]);
        assert_eq!(
            last - first + 1,
            seqs.len() as u64,
            "{key}: consecutive lines"
        );
        parts.push((first, last, seqs.len() as u64));
    }
    parts
}

/// One number from Druid SQL (`SELECT COUNT(*) AS "n" …`).
async fn druid_count(query: &str) -> u64 {
    let rows = druid().sql(query, &[]).await.expect("Druid SQL");
    rows[0]["n"].as_u64().expect("a count")
}

/// A replace read from several parts drops the whole window once, before
/// any part's rows land: after a multi-part append and a multi-part replace
/// of the same days, Druid holds exactly the replacing upload's rows, every
/// part's rows once, none of the first upload's.
#[tokio::test]
async fn a_replace_from_several_parts_leaves_exactly_its_own_rows() {
    let app = TestApp::spawn_with(Backends::Druid, |s| {
        s.druid.part_bytes = MIB;
        s.druid.max_subtasks = 2;
    })
    .await;
    let datasource = unique("parts_replace");
    let first = app.ingest("big.csv", big_csv(30_000, 0), &datasource).await;
    assert_ingested_in_parts(&app, &first, &datasource, 30_000).await;

    // Same ten days, other rows (seq from SEED_SEQ), fewer of them.
    let id = upload(
        &app.client,
        &app.url,
        big_csv(24_000, 1),
        &datasource,
        "replace",
    )
    .await;
    app.run_workers().await;
    let second = app.task(&id).await;
    let druid_task = assert_ingested_in_parts(&app, &second, &datasource, 24_000).await;
    let io = &overlord_task(&druid_task).await["payload"]["spec"]["ioConfig"];
    assert_eq!(
        (&io["appendToExisting"], &io["dropExisting"]),
        (&Value::Bool(false), &Value::Bool(true)),
        "one replace of the window: {io}"
    );
    assert_eq!(second.row_count, Some(24_000), "reconciled");
    assert_eq!(
        second.druid.as_ref().and_then(|d| d.processed),
        Some(24_000)
    );

    let table = format!(r#""{datasource}""#);
    assert_eq!(
        druid_count(&format!(r#"SELECT COUNT(*) AS "n" FROM {table}"#)).await,
        24_000,
        "the datasource holds the replacing upload's rows only"
    );
    assert_eq!(
        rows_of_upload(&datasource, &first.task_id.to_string()).await,
        0
    );
    assert_eq!(
        druid_count(&format!(
            r#"SELECT COUNT(*) AS "n" FROM {table} WHERE "seq" < {SEED_SEQ}"#
        ))
        .await,
        0,
        "no row of the first upload is left"
    );
    let doubled = druid()
        .sql(
            &format!(r#"SELECT "seq", COUNT(*) AS "n" FROM {table} GROUP BY 1 HAVING COUNT(*) > 1 LIMIT 5"#),
            &[],
        )
        .await
        .expect("Druid SQL");
    assert!(doubled.is_empty(), "no row twice: {doubled:?}");
    let parts = seqs_of_parts(&app, &second).await;
    assert!(parts.len() >= 3, "{parts:?}");
    assert_eq!(parts.iter().map(|p| p.2).sum::<u64>(), 24_000, "{parts:?}");
    for (first_seq, last_seq, rows) in parts {
        let query = format!(
            r#"SELECT COUNT(*) AS "n" FROM {table} WHERE "seq" BETWEEN {first_seq} AND {last_seq}"#
        );
        assert_eq!(
            druid_count(&query).await,
            rows,
            "the part of seq {first_seq}..={last_seq}, once"
        );
    }
}
