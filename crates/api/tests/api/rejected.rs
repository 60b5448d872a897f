//! Rows rejected one by one within the upload's budget (issue 10 §6): the
//! rest is ingested, every rejected row is kept beside the upload and
//! downloaded from `GET /api/ingest/tasks/{id}/rejected`, checked line by
//! line; beyond the budget the task fails and says how to allow more.

use ingest_domain::{rejected_rows_key, Task, TaskStatus};
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::faults::rows_in_sink;
use crate::helpers::{assert_error, Backends, TestApp};

/// 24 data rows: 20 good (lines 2 to 21, enough readable times for `time`
/// to be the time column), then three ragged (lines 22, 24, 26), one
/// without a time (line 25, rejected whatever the budget) and one good.
fn ragged_csv() -> Vec<u8> {
    let mut text = "time,city,n\n".to_owned();
    for day in 1..=20 {
        text.push_str(&format!("2024-01-{day:02},Genève,{day}\n"));
    }
    text.push_str(
        "2024-02-01,Lyon,2,surplus\n\
2024-02-02,Paris,3\n\
2024-02-03,\"Nice, France\"\n\
not a time,Metz,6\n\
2024-02-05,Caen,7,8,9\n",
    );
    text.into_bytes()
}

async fn upload(app: &TestApp, datasource: &str, fields: &[(&str, &str)]) -> String {
    let mut form = Form::new()
        .part("file", Part::bytes(ragged_csv()).file_name("cities.csv"))
        .text("datasource_name", datasource.to_owned());
    for (name, value) in fields {
        form = form.text((*name).to_owned(), (*value).to_owned());
    }
    let response = app.post_form(form).await;
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.expect("JSON");
    body["task_id"].as_str().expect("task id").to_owned()
}

async fn run(app: &TestApp, id: &str) -> Task {
    app.run_workers().await;
    app.task(id).await
}

/// The downloaded rejected rows, as fields per line, after checking the
/// answer is a CSV attachment.
async fn download(app: &TestApp, id: &str) -> Vec<Vec<String>> {
    let response = app.get(&format!("/api/ingest/tasks/{id}/rejected")).await;
    assert_eq!(response.status().as_u16(), 200);
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default()
    };
    assert!(header("content-type").starts_with("text/csv"));
    assert_eq!(
        header("content-disposition"),
        "attachment; filename=\"cities-rejected-rows.csv\""
    );
    let text = response.text().await.expect("body");
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().expect("header"),
        vec!["line", "column", "code", "reason", "record"]
    );
    reader
        .records()
        .map(|r| r.expect("a CSV line").iter().map(str::to_owned).collect())
        .collect()
}

async fn ingests_the_rest_and_serves_the_rejected_rows(backends: Backends) {
    let app = TestApp::spawn(backends).await;
    // Druid is shared between test runs: a datasource of this run's own.
    let datasource = format!("kept_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let id = upload(&app, &datasource, &[("max_rejected_rows", "3")]).await;
    let task = run(&app, &id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(
        (task.rows_in, task.row_count, task.rejected_row_count),
        (Some(25), Some(21), Some(4))
    );
    // rows_in = row_count + rejected_row_count, and the sink holds row_count.
    if backends == Backends::Druid {
        let druid = task.druid.as_ref().expect("Druid state");
        assert_eq!(druid.rows_in_druid, Some(21));
    } else {
        assert_eq!(rows_in_sink(&app.client, &app.url, &datasource).await, 21);
    }
    assert_eq!(task.rejection_budget.max_rows, Some(3));
    let kept = task.rejected_rows.expect("rejected rows kept");
    assert_eq!(kept.rows, 4);
    assert_eq!(
        app.objects()
            .size(&rejected_rows_key(task.task_id))
            .await
            .expect("size"),
        Some(kept.bytes)
    );

    let rows = download(&app, &id).await;
    let expected: [[&str; 5]; 4] = [
        [
            "22",
            "",
            "ragged_row",
            "4 fields but the header has 3",
            "2024-02-01,Lyon,2,surplus",
        ],
        [
            "24",
            "",
            "ragged_row",
            "2 fields but the header has 3",
            "2024-02-03,\"Nice, France\"",
        ],
        [
            "25",
            "time",
            "row_without_time",
            "line 25 was rejected: its \"time\" value is empty or not a readable time",
            "not a time,Metz,6",
        ],
        [
            "26",
            "",
            "ragged_row",
            "5 fields but the header has 3",
            "2024-02-05,Caen,7,8,9",
        ],
    ];
    assert_eq!(rows, expected.map(|r| r.map(str::to_owned).to_vec()));
}

#[tokio::test]
async fn ragged_rows_within_the_budget_are_rejected_and_downloadable_locally() {
    ingests_the_rest_and_serves_the_rejected_rows(Backends::Embedded).await;
}

#[tokio::test]
async fn ragged_rows_within_the_budget_are_rejected_and_downloadable_from_s3() {
    ingests_the_rest_and_serves_the_rejected_rows(Backends::Real).await;
}

#[tokio::test]
async fn ragged_rows_within_the_budget_are_rejected_and_the_rest_counted_in_druid() {
    ingests_the_rest_and_serves_the_rejected_rows(Backends::Druid).await;
}

#[tokio::test]
async fn beyond_the_budget_the_task_fails_and_run_again_keeps_the_budget() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let id = upload(&app, "strict", &[("max_rejected_rows", "2")]).await;
    let task = run(&app, &id).await;
    assert_eq!(task.status(), TaskStatus::Failed);
    let error = task.error.clone().expect("error");
    assert_eq!(error.code, "too_many_rejected_rows");
    assert!(
        error.message.contains("3 of 25 rows") && error.message.contains("max_rejected_rows=2"),
        "{}",
        error.message
    );
    assert!(
        error
            .hint
            .as_deref()
            .unwrap_or_default()
            .contains("max_rejected_rows"),
        "{:?}",
        error.hint
    );
    assert_eq!(rows_in_sink(&app.client, &app.url, "strict").await, 0);
    assert_error(
        app.get(&format!("/api/ingest/tasks/{id}/rejected")).await,
        404,
        "no_rejected_rows",
    )
    .await;

    // Run again: the stored budget applies again (and still fails).
    let again = app.post(&format!("/api/ingest/tasks/{id}/retry")).await;
    assert_eq!(again.status().as_u16(), 202);
    let task = run(&app, &id).await;
    assert_eq!(task.rejection_budget.max_rows, Some(2));
    let error = task.error.expect("error");
    assert!(
        error.message.contains("max_rejected_rows=2"),
        "{}",
        error.message
    );

    // Without a budget: the first ragged line fails it, as it always did.
    let id = upload(&app, "strict", &[]).await;
    let task = run(&app, &id).await;
    assert_eq!(task.error.expect("error").code, "ragged_row");
    assert!(task.rejected_rows.is_none());
}

#[tokio::test]
async fn budget_fields_are_checked_and_missing_downloads_use_our_errors() {
    let app = TestApp::spawn(Backends::Embedded).await;
    for (field, value) in [
        ("max_rejected_rows", "-3"),
        ("max_rejected_ratio", "2"),
        ("max_rejected_ratio", "some"),
    ] {
        let form = Form::new()
            .part("file", Part::bytes(ragged_csv()).file_name("c.csv"))
            .text("datasource_name", "fields")
            .text(field, value);
        let body = assert_error(app.post_form(form).await, 422, "invalid_field").await;
        assert_eq!(body["error"]["details"]["field"], field);
    }
    // A ratio alone: 3 ragged of 25 rows is 12 %, under 20 %.
    let id = upload(&app, "fields", &[("max_rejected_ratio", "0.2")]).await;
    let task = run(&app, &id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.rejected_row_count, Some(4));

    let unknown = uuid::Uuid::now_v7();
    assert_error(
        app.get(&format!("/api/ingest/tasks/{unknown}/rejected"))
            .await,
        404,
        "task_not_found",
    )
    .await;
    assert_error(
        app.get("/api/ingest/tasks/not-a-uuid/rejected").await,
        400,
        "invalid_task_id",
    )
    .await;
}

#[tokio::test]
async fn downloaded_rows_cannot_run_as_spreadsheet_formulas() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let mut text = "time,city,n\n".to_owned();
    for day in 1..=20 {
        text.push_str(&format!("2024-01-{day:02},Paris,{day}\n"));
    }
    // Ragged rows that a spreadsheet opening the download would run.
    text.push_str("=1+2,Lyon,2,surplus\n@SUM(A1:A9),Metz\n-3+4,Caen,7,8\n");
    let form = Form::new()
        .part(
            "file",
            Part::bytes(text.into_bytes()).file_name("cities.csv"),
        )
        .text("datasource_name", "formulas")
        .text("max_rejected_rows", "3");
    let response = app.post_form(form).await;
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.expect("JSON");
    let id = body["task_id"].as_str().expect("task id").to_owned();
    let task = run(&app, &id).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.rejected_row_count, Some(3));

    // Each record gets a leading quote, and only that; the line, column,
    // code and reason are exact.
    let rows = download(&app, &id).await;
    let expected: [[&str; 5]; 3] = [
        [
            "22",
            "",
            "ragged_row",
            "4 fields but the header has 3",
            "'=1+2,Lyon,2,surplus",
        ],
        [
            "23",
            "",
            "ragged_row",
            "2 fields but the header has 3",
            "'@SUM(A1:A9),Metz",
        ],
        [
            "24",
            "",
            "ragged_row",
            "4 fields but the header has 3",
            "'-3+4,Caen,7,8",
        ],
    ];
    assert_eq!(rows, expected.map(|r| r.map(str::to_owned).to_vec()));
}
