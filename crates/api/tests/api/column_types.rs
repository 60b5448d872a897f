//! Types users can steer (issue 10 §5): `column_types`, `timestamp_column`
//! and `timestamp_format` through the real server into the local sink, the
//! rows a value breaks, the type reasons, and the fields kept for a re-run.

use std::path::Path;

use ingest_domain::{ColumnType, Severity, Task, TaskStatus, TimestampSource};
use polars::prelude::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::faults::rows_in_sink;
use crate::helpers::{assert_error, Backends, TestApp};

/// Uploads `csv` with extra text fields, runs the workers, returns the task.
async fn upload(app: &TestApp, csv: &str, datasource: &str, fields: &[(&str, &str)]) -> Task {
    let mut form = Form::new()
        .part(
            "file",
            Part::bytes(csv.as_bytes().to_vec()).file_name("steer.csv"),
        )
        .text("datasource_name", datasource.to_owned());
    for (name, value) in fields {
        form = form.text((*name).to_owned(), (*value).to_owned());
    }
    let response = app.post_form(form).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, 202, "{body}");
    app.run_workers().await;
    app.task(body["task_id"].as_str().expect("task id")).await
}

/// Every Parquet file the local sink holds for `datasource`, stacked.
fn sink_frame(data_dir: &Path, datasource: &str) -> DataFrame {
    let folder = data_dir.join("datasources").join(datasource);
    let mut frames = Vec::new();
    for entry in std::fs::read_dir(&folder).expect("the datasource's folder") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) == Some("parquet") {
            let file = std::fs::File::open(&path).expect("open");
            frames.push(ParquetReader::new(file).finish().expect("Parquet"));
        }
    }
    let mut frames = frames.into_iter();
    let mut all = frames.next().expect("a Parquet file");
    for frame in frames {
        all.vstack_mut(&frame).expect("same schema");
    }
    all
}

fn column<'a>(task: &'a Task, name: &str) -> &'a ingest_domain::ColumnProfile {
    let report = task.validation.as_ref().expect("report");
    report
        .columns
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("column {name} in {:?}", report.columns))
}

fn problems<'a>(task: &'a Task, code: &str) -> Vec<&'a ingest_domain::Problem> {
    let report = task.validation.as_ref().expect("report");
    report.problems.iter().filter(|p| p.code == code).collect()
}

const STEERED_CSV: &str = "time,units,amount,store,zip\n\
               2024-01-01,1,1.5,001,12345\n\
               2024-01-02,2,2,002,90210\n\
               2024-01-03,3,n/a,003,10001\n\
               2024-01-04,4,abc,004,60601\n\
               2024-01-05,5,7.25,005,73301\n";
const STEERED_TYPES: (&str, &str) = ("column_types", r#"{"units":"string","amount":"double"}"#);

#[tokio::test]
async fn without_a_budget_a_value_that_does_not_fit_fails_the_upload() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let task = upload(&app, STEERED_CSV, "strict_types", &[STEERED_TYPES]).await;
    assert_eq!(task.status(), TaskStatus::Failed);
    // Like a ragged row: the file fails, its lines listed, nothing ingested
    // and nothing kept as rejected rows.
    let error = task.error.as_ref().expect("error");
    assert_eq!(error.code, "value_breaks_column_type");
    assert!(error.message.contains("line 5"), "{}", error.message);
    assert!(error.hint.is_some());
    let broken = problems(&task, "value_breaks_column_type");
    assert_eq!(
        broken
            .iter()
            .map(|p| (p.severity, p.line, p.column.as_deref()))
            .collect::<Vec<_>>(),
        [(Severity::Error, Some(5), Some("amount"))]
    );
    assert_eq!(
        (task.rows_in, task.row_count, task.rejected_row_count),
        (Some(5), None, Some(5))
    );
    assert!(task.rejected_rows.is_none());
    assert_eq!(rows_in_sink(&app.client, &app.url, "strict_types").await, 0);
}

#[tokio::test]
async fn column_types_set_types_and_reject_rows_whose_value_does_not_fit() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let task = upload(
        &app,
        STEERED_CSV,
        "steered",
        // Within the budget (issue 10 §6) such rows are rejected one by one.
        &[STEERED_TYPES, ("max_rejected_rows", "1")],
    )
    .await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(
        task.column_types.get("units"),
        Some(&ColumnType::String),
        "kept with the task"
    );

    // Line 5's "abc" is no double: that row alone is rejected, with why.
    assert_eq!((task.rows_in, task.row_count), (Some(5), Some(4)));
    assert_eq!(task.rejected_row_count, Some(1));
    let broken = problems(&task, "value_breaks_column_type");
    assert_eq!(broken.len(), 1, "{broken:?}");
    assert_eq!(broken[0].line, Some(5));
    assert_eq!(broken[0].column.as_deref(), Some("amount"));
    assert_eq!(broken[0].severity, Severity::Warning);
    assert!(
        broken[0].message.contains("\"abc\" is not a double"),
        "{}",
        broken[0].message
    );

    // The report says which types were chosen and why.
    let units = column(&task, "units");
    assert_eq!(units.column_type, ColumnType::String);
    assert_eq!(
        units.type_reason.as_deref(),
        Some("set by column_types (the values alone would make it long)")
    );
    let zip = column(&task, "zip");
    assert_eq!(
        zip.column_type,
        ColumnType::String,
        "a code, not a quantity"
    );
    assert_eq!(
        zip.type_reason.as_deref(),
        Some("5 values are 5-digit codes in a column named like an identifier → string (kept as written)")
    );
    let store = column(&task, "store");
    assert_eq!(store.column_type, ColumnType::String, "leading zeros");
    assert_eq!(
        store.type_reason.as_deref(),
        Some("5 values keep leading zeros (e.g. \"001\" (line 2)) → string")
    );

    // The sink holds the types asked for, and the digits as written.
    let frame = sink_frame(app.data_dir(), "steered");
    assert_eq!(frame.height(), 4);
    assert_eq!(
        frame.column("units").expect("units").dtype(),
        &DataType::String
    );
    assert_eq!(frame.column("zip").expect("zip").dtype(), &DataType::String);
    assert_eq!(
        frame.column("amount").expect("amount").dtype(),
        &DataType::Float64
    );
    let stores: Vec<String> = (0..frame.height())
        .filter_map(|i| {
            frame
                .column("store")
                .expect("store")
                .get(i)
                .ok()?
                .get_str()
                .map(str::to_owned)
        })
        .collect();
    assert!(stores.contains(&"001".to_owned()), "{stores:?}");
}

#[tokio::test]
async fn a_timestamp_format_reads_day_first_times_and_rejects_rows_it_cannot_read() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let csv = "logged,value\n\
               03/04/2024 10:30,1\n\
               04/04/2024 11:00,2\n\
               2024-04-05,3\n";
    let task = upload(
        &app,
        csv,
        "dayfirst",
        &[
            ("timestamp_column", "logged"),
            ("timestamp_format", "%d/%m/%Y %H:%M"),
        ],
    )
    .await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.timestamp_format.as_deref(), Some("%d/%m/%Y %H:%M"));
    let report = task.validation.as_ref().expect("report");
    assert_eq!(report.timestamp.source, TimestampSource::Column);
    assert_eq!(report.timestamp.format.as_deref(), Some("%d/%m/%Y %H:%M"));
    assert_eq!(
        report.timestamp.min.map(|t| t.to_rfc3339()),
        Some("2024-04-03T10:30:00+00:00".to_owned()),
        "day first, not month first"
    );
    assert_eq!(
        (task.row_count, task.rejected_row_count),
        (Some(2), Some(1))
    );
    let unread = problems(&task, "row_without_time");
    assert_eq!(unread.iter().map(|p| p.line).collect::<Vec<_>>(), [Some(4)]);
    assert_eq!(
        column(&task, "logged").type_reason.as_deref(),
        Some("row time: 2 of 3 values read as %d/%m/%Y %H:%M")
    );

    // Without timestamp_column, the column the format reads is chosen.
    let task = upload(
        &app,
        "id,day\n1,20240105\n2,20240106\n",
        "compact",
        &[("timestamp_format", "%Y%m%d")],
    )
    .await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    let report = task.validation.as_ref().expect("report");
    assert_eq!(report.timestamp.column.as_deref(), Some("day"));
}

#[tokio::test]
async fn invalid_steering_fields_are_refused_with_our_error_shape() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let form = |name: &str, value: &str| {
        Form::new()
            .part(
                "file",
                Part::bytes(b"time,a\n2024-01-01,1\n".to_vec()).file_name("a.csv"),
            )
            .text("datasource_name", "refused")
            .text(name.to_owned(), value.to_owned())
    };
    for (name, value, column) in [
        ("column_types", r#"{"a":"varchar"}"#, Some("a")),
        ("column_types", r#"{"a":"timestamp"}"#, Some("a")),
        ("column_types", "a=long", None),
    ] {
        let body = assert_error(app.post_form(form(name, value)).await, 422, "invalid_field").await;
        let details = &body["error"]["details"];
        assert_eq!(details["field"], name, "{body}");
        assert_eq!(details["column"].as_str(), column, "{body}");
        assert!(details["hint"].is_string(), "{body}");
    }
    for value in ["%H:%M", "yyyy-MM-dd", "%Y-%m-%d %Z"] {
        let body = assert_error(
            app.post_form(form("timestamp_format", value)).await,
            422,
            "invalid_field",
        )
        .await;
        assert_eq!(body["error"]["details"]["field"], "timestamp_format");
    }
    let (_, tasks) = app.get_json("/api/ingest/tasks").await;
    assert_eq!(tasks["tasks"].as_array().map(Vec::len), Some(0), "{tasks}");
}

#[tokio::test]
async fn an_unknown_column_fails_the_task_and_a_re_run_keeps_the_fields() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let csv = "time,amount\n2024-01-01,1\n";
    let task = upload(
        &app,
        csv,
        "typo",
        &[("column_types", r#"{"amuont":"double"}"#)],
    )
    .await;
    assert_eq!(task.status(), TaskStatus::Failed);
    let error = task.error.as_ref().expect("error");
    assert_eq!(error.code, "column_types_unknown_column");
    assert!(error.message.contains("\"amuont\""), "{}", error.message);
    assert!(error.message.contains("time, amount"), "{}", error.message);
    assert!(error.hint.is_some());

    // "Run again" reads the file with the same fields: without them this
    // file would be ingested.
    let id = task.task_id.to_string();
    let queued = app.post(&format!("/api/ingest/tasks/{id}/retry")).await;
    assert_eq!(queued.status().as_u16(), 202, "{:?}", queued.text().await);
    app.run_workers().await;
    let again = app.task(&id).await;
    assert_eq!(again.retries, 1);
    assert_eq!(again.status(), TaskStatus::Failed);
    assert_eq!(
        again.error.as_ref().map(|e| e.code.as_str()),
        Some("column_types_unknown_column")
    );
}

#[tokio::test]
async fn a_file_without_time_and_a_nearly_numeric_column_are_warned_about() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let mut csv = "sku,quantity\n".to_owned();
    for i in 0..1201 {
        let quantity = if i == 732 {
            "one".to_owned()
        } else {
            i.to_string()
        };
        csv.push_str(&format!("a{i},{quantity}\n"));
    }
    let task = upload(&app, &csv, "notime", &[]).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    let report = task.validation.as_ref().expect("report");
    assert_eq!(report.timestamp.source, TimestampSource::UploadTime);
    let no_time = problems(&task, "no_time_column");
    assert_eq!(no_time.len(), 1, "{:?}", report.problems);
    assert!(
        no_time[0].message.contains("upload time"),
        "{}",
        no_time[0].message
    );

    let quantity = column(&task, "quantity");
    assert_eq!(quantity.column_type, ColumnType::String);
    let warned = problems(&task, "mostly_numeric");
    assert_eq!(warned.len(), 1, "{:?}", report.problems);
    assert_eq!(warned[0].line, Some(734));
    assert_eq!(warned[0].column.as_deref(), Some("quantity"));
    assert!(
        warned[0]
            .message
            .contains("but for 1 of 1,201 values: \"one\" (line 734)"),
        "{}",
        warned[0].message
    );
}
