//! Every kind of bad input gets a clear error naming what and where, and
//! leaves nothing behind.

use ingest_domain::TaskStatus;
use reqwest::multipart::{Form, Part};

use crate::helpers::{assert_error, Backends, TestApp};

const GOOD_CSV: &[u8] = b"time,v\n2024-01-01,1\n";

async fn nothing_stored(app: &TestApp) {
    assert_eq!(
        app.objects().list("").await.expect("list").len(),
        0,
        "no object kept"
    );
    assert_eq!(
        app.objects().pending_uploads().await.expect("pending"),
        0,
        "no partial upload kept"
    );
    let (_, tasks) = app.get_json("/api/ingest/tasks").await;
    assert_eq!(tasks["total"], 0, "no task created");
}

#[tokio::test]
async fn missing_parts_are_400() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let no_file = Form::new().text("datasource_name", "sales");
    let body = assert_error(app.post_form(no_file).await, 400, "missing_file").await;
    assert_eq!(body["error"]["details"]["field"], "file");

    let no_name = Form::new().part("file", Part::bytes(GOOD_CSV.to_vec()).file_name("a.csv"));
    let body = assert_error(app.post_form(no_name).await, 400, "missing_field").await;
    assert_eq!(body["error"]["details"]["field"], "datasource_name");

    let not_multipart = app
        .client
        .post(format!("{}/api/ingest/upload", app.url))
        .body("hello")
        .send()
        .await
        .expect("sent");
    assert_error(not_multipart, 400, "not_multipart").await;
    nothing_stored(&app).await;
}

#[tokio::test]
async fn unknown_parts_are_ignored_and_named_in_warnings() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let form = Form::new()
        .text("datasource_name", "sales")
        .text("timestamp_colum", "time") // a typo of timestamp_column
        // Unknown parts are skipped unread, whatever their size.
        .text("x-extra", "a".repeat(10_000))
        .part("file", Part::bytes(GOOD_CSV.to_vec()).file_name("a.csv"));
    let response = app.post_form(form).await;
    assert_eq!(response.status().as_u16(), 202);
    let body: serde_json::Value = response.json().await.expect("JSON");
    let warnings = body["warnings"].as_array().expect("a warnings array");
    let named: Vec<(&str, &str)> = warnings
        .iter()
        .map(|w| {
            (
                w["code"].as_str().unwrap_or_default(),
                w["details"]["field"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        named,
        [
            ("unknown_field", "timestamp_colum"),
            ("unknown_field", "x-extra")
        ],
        "{body}"
    );
    assert!(
        warnings[0]["message"]
            .as_str()
            .is_some_and(|m| m.contains("timestamp_colum")),
        "{body}"
    );

    let clean = app.upload_bytes("a.csv", GOOD_CSV.to_vec(), "other").await;
    assert_eq!(clean.status().as_u16(), 202);
    let body: serde_json::Value = clean.json().await.expect("JSON");
    assert_eq!(body["warnings"], serde_json::json!([]), "{body}");
}

#[tokio::test]
async fn bad_datasource_names_are_422_with_the_reason() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let long = "a".repeat(300);
    for (name, says) in [
        ("../x", "start with a letter"),
        ("a/b", "'/'"),
        ("", "empty"),
        ("__time", "start with a letter"),
        (long.as_str(), "300 characters"),
    ] {
        let body = assert_error(
            app.upload_bytes("a.csv", GOOD_CSV.to_vec(), name).await,
            422,
            "invalid_datasource_name",
        )
        .await;
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(says),
            "{name:?}: {message:?} should mention {says:?}"
        );
        assert_eq!(body["error"]["details"]["field"], "datasource_name");
    }
    nothing_stored(&app).await;
}

#[tokio::test]
async fn unreadable_or_mislabelled_files_are_refused() {
    let app = TestApp::spawn(Backends::Embedded).await;
    assert_error(
        app.upload_bytes("empty.csv", Vec::new(), "sales").await,
        422,
        "empty_file",
    )
    .await;

    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    let body = assert_error(
        app.upload_bytes("photo.csv", png, "sales").await,
        415,
        "unsupported_file_type",
    )
    .await;
    assert!(body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("PNG"));

    let not_zip = assert_error(
        app.upload_bytes("book.xlsx", GOOD_CSV.to_vec(), "sales")
            .await,
        415,
        "unsupported_file_type",
    )
    .await;
    assert!(not_zip["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .contains("xlsx"));

    let declared = Form::new()
        .part("file", Part::bytes(GOOD_CSV.to_vec()).file_name("a.csv"))
        .text("datasource_name", "sales")
        .text("format", "parquet");
    assert_error(app.post_form(declared).await, 415, "unsupported_file_type").await;
    nothing_stored(&app).await;
}

#[tokio::test]
async fn a_file_over_the_limit_is_413_and_nothing_is_kept() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| s.max_upload_bytes = 64 * 1024).await;
    let mut big = b"time,v\n".to_vec();
    while big.len() <= 200 * 1024 {
        big.extend_from_slice(b"2024-01-01,12345\n");
    }
    let body = assert_error(
        app.upload_bytes("big.csv", big, "sales").await,
        413,
        "file_too_large",
    )
    .await;
    assert_eq!(body["error"]["details"]["limit_bytes"], 64 * 1024);
    nothing_stored(&app).await;
}

async fn failed_with(app: &TestApp, name: &str, csv: &[u8], code: &str) -> ingest_domain::Task {
    let task = app.ingest(name, csv.to_vec(), "bad").await;
    assert_eq!(task.status(), TaskStatus::Failed, "{name} should fail");
    let error = task.error.clone().expect("error recorded");
    assert_eq!(error.code, code, "{name}: {}", error.message);
    assert!(error.hint.is_some(), "{name} has a hint");
    task
}

#[tokio::test]
async fn files_that_fail_validation_say_where() {
    let app = TestApp::spawn(Backends::Embedded).await;
    failed_with(&app, "header.csv", b"time,v\n", "no_data_rows").await;

    let ragged = failed_with(
        &app,
        "ragged.csv",
        b"time,v\n2024-01-01,1\n2024-01-02,2,extra\n2024-01-03\n",
        "ragged_row",
    )
    .await;
    let lines: Vec<u64> = ragged
        .validation
        .expect("report")
        .problems
        .iter()
        .filter_map(|p| p.line)
        .collect();
    assert_eq!(lines, [3, 4]);
    assert!(ragged
        .error
        .expect("error")
        .message
        .contains("line 3 has 3 fields but the header has 2"));

    let duplicate = failed_with(
        &app,
        "dup.csv",
        b"time,v,v\n2024-01-01,1,2\n",
        "duplicate_column_name",
    )
    .await;
    assert!(duplicate
        .error
        .expect("error")
        .message
        .contains("columns 2 and 3"));

    let unnamed = failed_with(
        &app,
        "unnamed.csv",
        b"time,,v\n2024-01-01,1,2\n",
        "empty_column_name",
    )
    .await;
    assert!(unnamed.error.expect("error").message.contains("column 2"));

    // Latin-1 text is read now (see encodings.rs); two stray bytes that
    // several legacy encodings read differently are not guessed at.
    let ambiguous = failed_with(
        &app,
        "stray.csv",
        b"time,name\n2024-01-01,\xb9\xe6\n",
        "ambiguous_encoding",
    )
    .await;
    assert!(ambiguous
        .error
        .expect("error")
        .hint
        .is_some_and(|h| h.contains("encoding field")));
    failed_with(
        &app,
        "fake.xlsx",
        b"PK\x03\x04not really a zip",
        "unreadable_xlsx",
    )
    .await;
    failed_with(&app, "bad.ndjson", b"{\"a\":1}\n{\"a\":\n", "invalid_json").await;
}

#[tokio::test]
async fn unknown_and_malformed_task_ids() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let missing = uuid::Uuid::new_v4();
    assert_error(
        app.get(&format!("/api/ingest/status/{missing}")).await,
        404,
        "task_not_found",
    )
    .await;
    assert_error(
        app.get("/api/ingest/status/not-a-uuid").await,
        400,
        "invalid_task_id",
    )
    .await;
    assert_error(
        app.get("/api/ingest/tasks?status=bogus").await,
        400,
        "invalid_status",
    )
    .await;
    for bad_sort in ["sort=body", "sort=row_count&order=sideways"] {
        assert_error(
            app.get(&format!("/api/ingest/tasks?{bad_sort}")).await,
            400,
            "invalid_sort",
        )
        .await;
    }
    assert_eq!(
        app.get("/api/ingest/tasks?sort=size_bytes&order=asc")
            .await
            .status(),
        200
    );
    assert_error(
        app.get("/api/datasources/nope").await,
        404,
        "datasource_not_found",
    )
    .await;
    assert_error(app.get("/api/no/such/thing").await, 404, "no_such_endpoint").await;
}

#[tokio::test]
async fn a_client_that_disconnects_mid_upload_leaves_nothing() {
    use tokio::io::AsyncWriteExt;
    let app = TestApp::spawn(Backends::Embedded).await;
    let address = app.url.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let boundary = "XBOUNDARYX";
    let head = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"datasource_name\"\r\n\r\nsales\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.csv\"\r\n\r\ntime,v\n"
    );
    let request = format!(
        "POST /api/ingest/upload HTTP/1.1\r\nHost: {address}\r\nContent-Type: multipart/form-data; boundary={boundary}\r\nContent-Length: 100000000\r\n\r\n{head}"
    );
    stream.write_all(request.as_bytes()).await.expect("write");
    for _ in 0..2000 {
        stream
            .write_all(b"2024-01-01,1234567\n")
            .await
            .expect("write rows");
    }
    stream.flush().await.expect("flush");
    // The upload must really be under way before we vanish.
    let mut started = false;
    for _ in 0..100 {
        if app.objects().pending_uploads().await.expect("pending") == 1 {
            started = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(started, "the server began storing the upload");
    drop(stream);
    // Wait (bounded) until the server has noticed and cleaned up.
    let mut clean = false;
    for _ in 0..100 {
        if app.objects().pending_uploads().await.expect("pending") == 0
            && app.objects().list("").await.expect("list").is_empty()
        {
            clean = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(clean, "partial upload removed");
    nothing_stored(&app).await;
}
