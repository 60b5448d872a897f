//! Files that should be accepted, through upload, validation and the sink.

use ingest_domain::{ColumnType, Task, TaskStatus, TimestampSource};

use crate::helpers::{csv_data_rows, data_csv, Backends, TestApp};

#[tokio::test]
async fn data_csv_is_ingested_and_every_row_accounted_for() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let bytes = data_csv();
    let expected = csv_data_rows(&bytes);
    assert!(expected >= 1000, "data.csv has at least 1000 rows");

    let task = app.ingest("data.csv", bytes.clone(), "sales").await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.rows_in, Some(expected));
    assert_eq!(
        task.row_count.unwrap_or(0) + task.rejected_row_count.unwrap_or(0),
        expected
    );
    assert_eq!(task.size_bytes, bytes.len() as u64);
    assert_eq!(task.sha256.len(), 64);
    let report = task.validation.expect("report stored with the task");
    assert_eq!(report.timestamp.source, TimestampSource::Column);
    assert!(report
        .columns
        .iter()
        .any(|c| c.column_type == ColumnType::Double));
    assert!(
        report.columns.iter().any(|c| c.null_count > 0),
        "data.csv has empty cells"
    );
    let names: Vec<_> = task
        .stages
        .iter()
        .map(|s| format!("{:?}", s.name))
        .collect();
    assert_eq!(names, ["Upload", "Queued", "Validation", "Ingestion"]);
    assert!(task.stages.iter().all(|s| s.finished_at.is_some()));

    let (status, summary) = app.get_json("/api/datasources/sales").await;
    assert_eq!(status, 200);
    assert_eq!(summary["row_count"], task.row_count.expect("rows"));
    assert_eq!(
        summary["min_time"]
            .as_str()
            .map(|t| t.parse::<chrono::DateTime<chrono::Utc>>().ok()),
        Some(report.timestamp.min)
    );
    let (status, series) = app
        .get_json("/api/datasources/sales/timeseries?granularity=day")
        .await;
    assert_eq!(status, 200);
    let total: u64 = series["points"]
        .as_array()
        .expect("points")
        .iter()
        .map(|p| p["rows"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(Some(total), task.row_count);
}

#[tokio::test]
async fn append_adds_and_replace_overwrites_only_its_days() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let csv = b"time,value\n2024-01-01,1\n2024-01-02,2\n".to_vec();
    assert_eq!(
        app.ingest("a.csv", csv.clone(), "series").await.status(),
        TaskStatus::Succeeded
    );
    assert_eq!(
        app.ingest("b.csv", csv.clone(), "series").await.status(),
        TaskStatus::Succeeded
    );
    let (_, summary) = app.get_json("/api/datasources/series").await;
    assert_eq!(summary["row_count"], 4);

    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"time,value\n2024-02-01,9\n".to_vec())
                .file_name("c.csv"),
        )
        .text("datasource_name", "series")
        .text("mode", "replace")
        .text("confirm", "true");
    assert_eq!(app.post_form(form).await.status().as_u16(), 202);
    app.run_workers().await;
    let (_, summary) = app.get_json("/api/datasources/series").await;
    assert_eq!(
        summary["row_count"], 5,
        "January stays; February 1 is added"
    );

    let form = reqwest::multipart::Form::new()
        .part(
            "file",
            reqwest::multipart::Part::bytes(
                b"time,value
2024-01-02,7
"
                .to_vec(),
            )
            .file_name("d.csv"),
        )
        .text("datasource_name", "series")
        .text("mode", "replace")
        .text("confirm", "true");
    assert_eq!(app.post_form(form).await.status().as_u16(), 202);
    app.run_workers().await;
    let (_, summary) = app.get_json("/api/datasources/series").await;
    assert_eq!(summary["row_count"], 4, "the two January 2 rows became one");
    let (_, list) = app.get_json("/api/datasources").await;
    assert_eq!(list["datasources"].as_array().map(Vec::len), Some(1));
}

#[tokio::test]
async fn messy_but_valid_csv_is_accepted() {
    let app = TestApp::spawn(Backends::Embedded).await;
    // BOM, semicolons, CRLF, quoted delimiters, doubled quotes, a line break
    // inside quotes, odd column names, null spellings and mixed date styles.
    let csv = "\u{feff}Date (UTC);Região/Zone;Amount $;Note\r\n\
               Jan 1 2000;Norte;1,5;\"say \"\"hi\"\"; twice\"\r\n\
               Jan 2 2000;Sul;NA;\"two\r\nlines\"\r\n\
               Jan 3 2000;;N/A;null\r\n";
    let task = app
        .ingest("messy.csv", csv.as_bytes().to_vec(), "messy")
        .await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.row_count, Some(3));
    let report = task.validation.expect("report");
    assert_eq!(report.delimiter.as_deref(), Some(";"));
    assert_eq!(report.timestamp.column.as_deref(), Some("Date (UTC)"));
    let names: Vec<&str> = report.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["Date (UTC)", "Região/Zone", "Amount $", "Note"]);
    let note = &report.columns[3];
    assert_eq!(note.null_count, 1);
    assert_eq!(report.columns[1].null_count, 1);
}

#[tokio::test]
async fn other_date_styles_and_formats_are_read() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let slashes = app
        .ingest(
            "s.csv",
            b"ts,v\n2010/01/01 00:00,1\n2010/01/02 13:30,2\n".to_vec(),
            "slashes",
        )
        .await;
    assert_eq!(slashes.status(), TaskStatus::Succeeded);
    let iso = app
        .ingest("i.ndjson", b"{\"t\":\"2013-01-01T10:00:00Z\",\"v\":1}\n{\"t\":\"2013-01-01T11:00:00Z\",\"v\":2.5,\"extra\":\"x\"}\n".to_vec(), "iso")
        .await;
    assert_eq!(iso.status(), TaskStatus::Succeeded, "{:?}", iso.error);
    let report = iso.validation.expect("report");
    assert_eq!(
        report.timestamp.min.map(|t| t.to_rfc3339()).as_deref(),
        Some("2013-01-01T10:00:00+00:00")
    );
    assert_eq!(report.columns.len(), 3);
    assert_eq!(
        report.columns[2].null_count, 1,
        "a key missing from a line is a null"
    );
}

#[tokio::test]
async fn rows_without_a_time_are_rejected_and_counted() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let csv = b"time,v\n2024-01-01,1\n,2\n2024-01-03,3\nnot a date,4\n2024-01-05,5\n2024-01-06,6\n2024-01-07,7\n2024-01-08,8\n2024-01-09,9\n2024-01-10,10\n2024-01-11,11\n2024-01-12,12\n2024-01-13,13\n2024-01-14,14\n2024-01-15,15\n2024-01-16,16\n2024-01-17,17\n2024-01-18,18\n2024-01-19,19\n2024-01-20,20\n2024-01-21,21\n2024-01-22,22\n".to_vec();
    let task = app.ingest("gaps.csv", csv, "gaps").await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.rows_in, Some(22));
    assert_eq!(task.row_count, Some(20));
    assert_eq!(task.rejected_row_count, Some(2));
    let lines: Vec<u64> = task
        .validation
        .expect("report")
        .problems
        .iter()
        .filter(|p| p.code == "row_without_time")
        .filter_map(|p| p.line)
        .collect();
    assert_eq!(lines, [3, 5]);
}

#[tokio::test]
async fn a_file_without_a_time_column_gets_the_upload_time() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let task = app
        .ingest("plain.csv", b"name,score\nann,1\nbob,2\n".to_vec(), "plain")
        .await;
    assert_eq!(task.status(), TaskStatus::Succeeded);
    let report = task.validation.expect("report");
    assert_eq!(report.timestamp.source, TimestampSource::UploadTime);
    assert_eq!(
        report.timestamp.min,
        Some(task.created_at)
            .map(|t| chrono::DateTime::from_timestamp_millis(t.timestamp_millis()).expect("time"))
    );
}

#[tokio::test]
async fn tasks_are_listed_newest_first_and_filtered() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let first = app
        .ingest("a.csv", b"t,v\n2024-01-01,1\n".to_vec(), "one")
        .await;
    let second = app.ingest("b.csv", b"t,v\n".to_vec(), "two").await;
    assert_eq!(second.status(), TaskStatus::Failed);
    let (_, all) = app.get_json("/api/ingest/tasks").await;
    let ids: Vec<&str> = all["tasks"]
        .as_array()
        .expect("tasks")
        .iter()
        .filter_map(|t| t["task_id"].as_str())
        .collect();
    assert_eq!(ids, [second.task_id.to_string(), first.task_id.to_string()]);
    assert_eq!(all["total"], 2);
    let (_, failed) = app.get_json("/api/ingest/tasks?status=failed").await;
    assert_eq!(failed["total"], 1);
    let (_, one) = app
        .get_json("/api/ingest/tasks?datasource=one&limit=1")
        .await;
    assert_eq!(one["tasks"][0]["task_id"], first.task_id.to_string());
}

#[tokio::test]
async fn cancelling_a_queued_task_stops_it() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let response = app
        .upload_bytes("a.csv", b"t,v\n2024-01-01,1\n".to_vec(), "cancelme")
        .await;
    let body: serde_json::Value = response.json().await.expect("json");
    let id = body["task_id"].as_str().expect("id");
    let cancelled = app
        .client
        .post(format!("{}/api/ingest/tasks/{id}/cancel", app.url))
        .send()
        .await
        .expect("sent");
    assert_eq!(cancelled.status().as_u16(), 200);
    app.run_workers().await;
    assert_eq!(app.task(id).await.status(), TaskStatus::Cancelled);
    let again = app
        .client
        .post(format!("{}/api/ingest/tasks/{id}/cancel", app.url))
        .send()
        .await
        .expect("sent");
    assert_eq!(again.status().as_u16(), 200, "cancelling twice is harmless");

    let done = app
        .ingest("b.csv", b"t,v\n2024-01-01,1\n".to_vec(), "cancelme")
        .await;
    assert_eq!(done.status(), TaskStatus::Succeeded);
    let late = app
        .client
        .post(format!(
            "{}/api/ingest/tasks/{}/cancel",
            app.url, done.task_id
        ))
        .send()
        .await
        .expect("sent");
    crate::helpers::assert_error(late, 409, "task_finished").await;
}

#[tokio::test]
async fn failed_and_cancelled_tasks_can_be_run_again_and_nothing_else() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let retry = |id: String| {
        let app = &app;
        async move { app.post(&format!("/api/ingest/tasks/{id}/retry")).await }
    };

    // Cancelled before a worker saw it; run again, it goes all the way.
    let response = app
        .upload_bytes(
            "a.csv",
            b"t,v\n2024-01-01,1\n2024-01-02,2\n".to_vec(),
            "again",
        )
        .await;
    let id = response.json::<serde_json::Value>().await.expect("json")["task_id"]
        .as_str()
        .expect("id")
        .to_owned();
    app.post(&format!("/api/ingest/tasks/{id}/cancel")).await;
    let queued = retry(id.clone()).await;
    assert_eq!(queued.status().as_u16(), 202);
    let queued: Task = queued.json().await.expect("task");
    assert_eq!((queued.status(), queued.retries), (TaskStatus::Queued, 1));
    app.run_workers().await;
    let done = app.task(&id).await;
    assert_eq!(done.status(), TaskStatus::Succeeded, "{:?}", done.error);
    assert_eq!((done.row_count, done.retries), (Some(2), 1));
    let (_, summary) = app.get_json("/api/datasources/again").await;
    assert_eq!(summary["row_count"], 2, "the rows landed once");
    crate::helpers::assert_error(retry(id.clone()).await, 409, "task_not_retryable").await;

    // A file that fails validation fails again, with the same words.
    let failed = app.ingest("b.csv", b"t,v\n".to_vec(), "again").await;
    assert_eq!(failed.status(), TaskStatus::Failed);
    assert_eq!(
        retry(failed.task_id.to_string()).await.status().as_u16(),
        202
    );
    app.run_workers().await;
    let again = app.task(&failed.task_id.to_string()).await;
    assert_eq!(again.status(), TaskStatus::Failed);
    assert_eq!(again.error, failed.error);
    assert_eq!(again.retries, 1);
    let queued_stages = again
        .stages
        .iter()
        .filter(|s| s.name == ingest_domain::StageName::Queued)
        .count();
    assert_eq!(queued_stages, 2, "both runs stay in the history");

    // Without its stored file a task cannot run again.
    app.objects()
        .delete(
            &app.state
                .tasks
                .get(again.task_id)
                .await
                .expect("get")
                .expect("task")
                .object_key,
        )
        .await
        .expect("delete");
    crate::helpers::assert_error(retry(failed.task_id.to_string()).await, 409, "upload_gone").await;
    crate::helpers::assert_error(
        retry(ingest_domain::TaskId::new().to_string()).await,
        404,
        "task_not_found",
    )
    .await;
    crate::helpers::assert_error(retry("nope".into()).await, 400, "invalid_task_id").await;
}

/// Runs the real `ingest` binary with `args`; (exit code, stdout + stderr).
async fn ingest_cli(args: Vec<String>) -> (Option<i32>, String) {
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_ingest"))
        .args(args)
        .output()
        .await
        .expect("ingest runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

#[tokio::test]
async fn the_cli_runs_a_failed_task_again_and_explains_a_refusal() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let failed = app.ingest("b.csv", b"t,v\n".to_vec(), "cli_again").await;
    assert_eq!(failed.status(), TaskStatus::Failed);
    let id = failed.task_id.to_string();
    let retry = |extra: &[&str]| {
        let mut args = vec![
            "retry".to_owned(),
            id.clone(),
            "--server".into(),
            app.url.clone(),
        ];
        args.extend(extra.iter().map(|s| (*s).to_owned()));
        ingest_cli(args)
    };

    let (code, out) = retry(&["--no-wait"]).await;
    assert_eq!(code, Some(0), "{out}");
    assert!(out.contains("queued again"), "{out}");
    assert_eq!(app.task(&id).await.status(), TaskStatus::Queued);

    // Already queued: the server refuses, and the CLI says why.
    let (code, out) = retry(&["--no-wait"]).await;
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("cannot run it again (409 Conflict)"), "{out}");
    assert!(out.contains("only failed or cancelled tasks"), "{out}");
}

#[tokio::test]
async fn health_reports_each_dependency() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let (status, health) = app.get_json("/api/health").await;
    assert_eq!(status, 200, "{health}");
    let names: Vec<&str> = health["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, ["database", "object_store", "local_sink"]);
    let (status, live) = app.get_json("/").await;
    assert_eq!((status, live["status"].as_str()), (200, Some("ok")));
}
