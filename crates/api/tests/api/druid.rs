//! The real thing: uploads through the HTTP API land in a real Druid that
//! reads them from a real S3 server, configured by druid/environment
//! (scripts/stack.sh up). Druid SQL must agree with the validation report.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ingest_domain::{Task, TaskStatus};
use ingest_druid::{varchar, DruidClient};
use reqwest::multipart::{Form, Part};

use crate::helpers::{data_csv, required_env, Backends, TestApp};

pub(crate) fn druid() -> DruidClient {
    DruidClient::new(&required_env("DRUID_URL"), None).expect("Druid URL")
}

pub(crate) fn unique(prefix: &str) -> String {
    format!(
        "{prefix}_{}",
        &uuid::Uuid::new_v4().simple().to_string()[..8]
    )
}

/// Rows in `datasource` carrying upload `id` as their lineage
/// (`ingest_task_id`); 0 while the datasource does not exist yet.
pub(crate) async fn rows_of_upload(datasource: &str, id: &str) -> u64 {
    let query = format!(r#"SELECT COUNT(*) AS "n" FROM "{datasource}" WHERE "ingest_task_id" = ?"#);
    match druid().sql(&query, &[varchar(id)]).await {
        Ok(rows) => rows[0]["n"].as_u64().unwrap_or(0),
        Err(e) if e.to_string().contains("not found") => 0,
        Err(e) => panic!("Druid SQL: {e}"),
    }
}

/// Every row of `datasource`, whatever upload it came from.
pub(crate) async fn rows_in_datasource(datasource: &str) -> u64 {
    let query = format!(r#"SELECT COUNT(*) AS "n" FROM "{datasource}""#);
    let rows = druid().sql(&query, &[]).await.expect("Druid SQL");
    rows[0]["n"].as_u64().expect("a count")
}

/// COUNT(*), MIN(__time), MAX(__time) of a datasource, from Druid SQL.
async fn druid_stats(datasource: &str) -> (u64, Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let rows = druid()
        .sql(
            &format!(r#"SELECT COUNT(*) AS "n", MIN(__time) AS "lo", MAX(__time) AS "hi" FROM "{datasource}""#),
            &[],
        )
        .await
        .expect("Druid SQL");
    let row = &rows[0];
    let time = |v: &serde_json::Value| v.as_str().and_then(|s| s.parse().ok());
    (
        row["n"].as_u64().unwrap_or(0),
        time(&row["lo"]),
        time(&row["hi"]),
    )
}

fn assert_druid_agrees(task: &Task) {
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    let report = task.validation.as_ref().expect("report");
    let druid = task.druid.as_ref().expect("Druid state recorded");
    assert!(druid.task_id.starts_with("ingest-"), "{}", druid.task_id);
    assert_eq!(druid.status.as_deref(), Some("SUCCESS"));
    assert_eq!(druid.rows_in_druid, Some(report.rows_accepted));
    assert_eq!(druid.processed, Some(report.rows_accepted));
    assert_eq!(task.row_count, Some(report.rows_accepted));
}

async fn upload(
    app: &TestApp,
    file_name: &str,
    bytes: Vec<u8>,
    datasource: &str,
    mode: &str,
) -> Task {
    let form = Form::new()
        .part("file", Part::bytes(bytes).file_name(file_name.to_owned()))
        .text("datasource_name", datasource.to_owned())
        .text("mode", mode.to_owned());
    let response = app.post_form(form).await;
    assert_eq!(response.status().as_u16(), 202);
    let body: serde_json::Value = response.json().await.expect("JSON");
    app.run_workers().await;
    app.task(body["task_id"].as_str().expect("id")).await
}

fn xlsx_bytes() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd hh:mm");
    for (col, name) in ["when", "store", "units", "price"].iter().enumerate() {
        sheet.write_string(0, col as u16, *name).expect("header");
    }
    for row in 1..=40u32 {
        let when = rust_xlsxwriter::ExcelDateTime::from_ymd(2024, 5, 1 + (row % 28) as u8)
            .and_then(|d| d.and_hms((row % 24) as u16, 0, 0_u8))
            .expect("date");
        sheet
            .write_datetime_with_format(row, 0, &when, &date)
            .expect("date");
        sheet
            .write_string(row, 1, if row % 2 == 0 { "Lisboa" } else { "Porto" })
            .expect("store");
        sheet.write_number(row, 2, f64::from(row)).expect("units");
        sheet
            .write_number(row, 3, f64::from(row) * 1.25)
            .expect("price");
    }
    book.save_to_buffer().expect("xlsx")
}

/// A Parquet file with a typed timestamp column, written with Polars by our
/// own validator from a CSV (the validator is tested on its own elsewhere).
fn parquet_bytes() -> Vec<u8> {
    let dir = tempfile::tempdir().expect("dir");
    let (csv, parquet) = (dir.path().join("in.csv"), dir.path().join("out.parquet"));
    let mut text = String::from("event_time,device,reading\n");
    for i in 0..250 {
        text.push_str(&format!(
            "2024-06-0{} {:02}:15:00,dev-{},{}.5\n",
            1 + i % 5,
            i % 24,
            i % 7,
            i
        ));
    }
    std::fs::write(&csv, text).expect("write");
    let options = ingest_validation::Options::new(
        ingest_domain::FileFormat::Csv,
        Utc::now(),
        ingest_validation::OutputFormat::Parquet,
    );
    let report = ingest_validation::validate(&csv, &options, Some(&parquet), &Default::default())
        .expect("validate");
    assert_eq!(report.rows_accepted, 250);
    std::fs::read(parquet).expect("read")
}

#[tokio::test]
async fn csv_xlsx_and_parquet_land_in_druid_with_matching_counts_and_times() {
    let app = TestApp::spawn(Backends::Druid).await;
    for (file_name, bytes) in [
        ("data.csv", data_csv()),
        ("stores.xlsx", xlsx_bytes()),
        ("readings.parquet", parquet_bytes()),
    ] {
        let datasource = unique("druid_formats");
        let task = upload(&app, file_name, bytes, &datasource, "append").await;
        assert_druid_agrees(&task);
        let report = task.validation.as_ref().expect("report");
        let (count, min, max) = druid_stats(&datasource).await;
        assert_eq!(
            count, report.rows_accepted,
            "{file_name}: Druid SQL COUNT(*)"
        );
        assert_eq!(
            (min, max),
            (report.timestamp.min, report.timestamp.max),
            "{file_name}: __time range"
        );
        let (status, summary) = app
            .get_json(&format!("/api/datasources/{datasource}"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            summary["row_count"], count,
            "the API reads datasources from Druid"
        );
    }
}

/// Rows per day of a datasource, from Druid SQL.
async fn druid_days(datasource: &str) -> Vec<(String, u64)> {
    let rows = druid()
        .sql(
            &format!(r#"SELECT TIME_FLOOR(__time, 'P1D') AS "day", COUNT(*) AS "n" FROM "{datasource}" GROUP BY 1 ORDER BY 1"#),
            &[],
        )
        .await
        .expect("Druid SQL");
    rows.iter()
        .map(|r| {
            let day = r["day"].as_str().unwrap_or_default();
            (
                day[..10.min(day.len())].to_owned(),
                r["n"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[tokio::test]
async fn append_then_replace_in_druid() {
    let app = TestApp::spawn(Backends::Druid).await;
    let datasource = unique("druid_modes");
    let day = |d: u32, v: u32| {
        format!("time,v\n2024-07-{d:02} 01:00:00,{v}\n2024-07-{d:02} 02:00:00,{v}\n").into_bytes()
    };
    assert_druid_agrees(&upload(&app, "a.csv", day(1, 1), &datasource, "append").await);
    assert_druid_agrees(&upload(&app, "b.csv", day(2, 2), &datasource, "append").await);
    assert_druid_agrees(&upload(&app, "c.csv", day(5, 5), &datasource, "append").await);
    assert_eq!(druid_stats(&datasource).await.0, 6, "append adds rows");
    // July 1 and 3: the window is July 1–4 (whole days), July 2 included.
    let file = b"time,v\n2024-07-01 03:00:00,3\n2024-07-03 03:00:00,3\n".to_vec();
    let waiting = upload(&app, "d.csv", file, &datasource, "replace").await;
    assert_eq!(
        waiting.status(),
        TaskStatus::AwaitingConfirmation,
        "{:?}",
        waiting.error
    );
    let effect = waiting.replace_effect.clone().expect("effect");
    assert_eq!(
        (effect.replaced_rows, effect.kept_rows),
        (4, 2),
        "counted by Druid SQL"
    );
    assert_eq!(
        druid_stats(&datasource).await.0,
        6,
        "nothing dropped before the confirmation"
    );
    let id = waiting.task_id;
    let confirmed = app.post(&format!("/api/ingest/tasks/{id}/confirm")).await;
    assert_eq!(confirmed.status().as_u16(), 202);
    app.run_workers().await;
    let replaced = app.task(&id.to_string()).await;
    assert_druid_agrees(&replaced);
    assert_eq!(
        druid_days(&datasource).await,
        [
            ("2024-07-01".to_owned(), 1),
            ("2024-07-03".to_owned(), 1),
            ("2024-07-05".to_owned(), 2)
        ],
        "the window's days hold the file's rows (July 2 is emptied); July 5 stays"
    );
    assert_eq!(
        rows_of_upload(&datasource, &replaced.task_id.to_string()).await,
        2,
        "rows carry the upload they came from"
    );
}

#[tokio::test]
async fn a_file_without_time_gets_the_upload_time_in_druid() {
    let app = TestApp::spawn(Backends::Druid).await;
    let datasource = unique("druid_notime");
    let task = upload(
        &app,
        "plain.csv",
        b"name,score\nann,1\nbob,2\ncid,3\n".to_vec(),
        &datasource,
        "append",
    )
    .await;
    assert_druid_agrees(&task);
    let (count, min, max) = druid_stats(&datasource).await;
    let upload_ms = DateTime::from_timestamp_millis(task.created_at.timestamp_millis());
    assert_eq!((count, min, max), (3, upload_ms, upload_ms));
}

/// Forwards connections from `listener` to `target` (Druid's router).
async fn forward(listener: tokio::net::TcpListener, target: String) {
    loop {
        let Ok((mut inbound, _)) = listener.accept().await else {
            return;
        };
        let target = target.clone();
        tokio::spawn(async move {
            if let Ok(mut outbound) = tokio::net::TcpStream::connect(&target).await {
                tokio::io::copy_bidirectional(&mut inbound, &mut outbound)
                    .await
                    .ok();
            }
        });
    }
}

#[tokio::test]
async fn druid_down_at_submit_is_retried_until_it_is_back() {
    // A port where the Overlord and Coordinator "are": closed at first, later
    // forwarding to the real ones (one process in the local stack, reached
    // directly or, with the router's management proxy on, through DRUID_URL).
    let probe = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = probe.local_addr().expect("addr");
    drop(probe);
    let app = TestApp::spawn_with(Backends::Druid, |s| {
        s.druid_overlord_url = Some(format!("http://{address}"));
        s.druid_coordinator_url = Some(format!("http://{address}"));
        s.task_lease_secs = 1;
    })
    .await;
    let datasource = unique("druid_down");
    let response = app
        .upload_bytes(
            "a.csv",
            b"time,v\n2024-08-01,1\n2024-08-02,2\n".to_vec(),
            &datasource,
        )
        .await;
    let id = response.json::<serde_json::Value>().await.expect("JSON")["task_id"]
        .as_str()
        .expect("id")
        .to_owned();
    let first = app
        .state
        .pipeline
        .run_next()
        .await
        .expect("run")
        .expect("a task");
    assert_eq!(
        first.status(),
        TaskStatus::Ingesting,
        "still unfinished: Druid will be retried"
    );
    assert_eq!(
        first.error.as_ref().map(|e| e.code.as_str()),
        Some("druid_unreachable")
    );

    let overlord = std::env::var("DRUID_OVERLORD_URL")
        .unwrap_or_else(|_| required_env("DRUID_URL"))
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let listener = tokio::net::TcpListener::bind(address)
        .await
        .expect("rebind the Druid port");
    tokio::spawn(forward(listener, overlord));
    // The failed attempt's lease (1 s) runs out; then the next worker takes
    // the task over. Bounded wait for that moment.
    let mut retried = false;
    for _ in 0..100 {
        if app.state.pipeline.run_next().await.expect("run").is_some() {
            retried = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(retried, "the task was taken up again");
    let task = app.task(&id).await;
    assert_druid_agrees(&task);
    assert_eq!(task.attempts, 2);
    assert!(task.error.is_none(), "the old error is cleared on success");
}

#[tokio::test]
async fn column_types_reach_druid() {
    let app = TestApp::spawn(Backends::Druid).await;
    let datasource = unique("druid_types");
    let csv = "time,units,count\n2024-08-01T10:00:00Z,1,10\n2024-08-01T11:00:00Z,2,20\n";
    let form = Form::new()
        .part(
            "file",
            Part::bytes(csv.as_bytes().to_vec()).file_name("typed.csv"),
        )
        .text("datasource_name", datasource.clone())
        .text("column_types", r#"{"units":"string"}"#);
    let response = app.post_form(form).await;
    assert_eq!(response.status().as_u16(), 202);
    let body: serde_json::Value = response.json().await.expect("JSON");
    app.run_workers().await;
    let task = app.task(body["task_id"].as_str().expect("id")).await;
    assert_druid_agrees(&task);
    let rows = druid()
        .sql(
            &format!(r#"SELECT "units", "count" FROM "{datasource}" ORDER BY __time LIMIT 1"#),
            &[],
        )
        .await
        .expect("Druid SQL");
    // Druid answers a string dimension with a JSON string, a long with a number.
    assert_eq!(rows[0]["units"], serde_json::json!("1"), "{rows:?}");
    assert_eq!(rows[0]["count"], serde_json::json!(10), "{rows:?}");
}
