//! `POST /api/ingest/preview`: what an upload would become, with nothing
//! stored, under the same limits as validation, a size limit and a cap on
//! previews at once; a cut text file is not a broken last row.

use std::time::Duration;

use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{assert_error, data_csv, Backends, TestApp};

async fn preview(app: &TestApp, query: &str, form: Form) -> reqwest::Response {
    app.client
        .post(format!("{}/api/ingest/preview{query}", app.url))
        .multipart(form)
        .send()
        .await
        .expect("request sent")
}

fn file_form(name: &str, bytes: Vec<u8>) -> Form {
    Form::new().part("file", Part::bytes(bytes).file_name(name.to_owned()))
}

async fn ok_json(response: reqwest::Response) -> Value {
    let status = response.status().as_u16();
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(status, 200, "{body}");
    body
}

/// No task, no object, no unfinished upload.
async fn nothing_kept(app: &TestApp) {
    let (_, tasks) = app.get_json("/api/ingest/tasks").await;
    assert_eq!(tasks["total"], 0, "no task: {tasks}");
    let objects = app.objects().list("").await.expect("list objects");
    assert!(objects.is_empty(), "no object: {objects:?}");
    assert_eq!(app.objects().pending_uploads().await.expect("pending"), 0);
}

fn errors(body: &Value) -> Vec<&Value> {
    body["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter(|p| p["severity"] == "error")
        .collect()
}

#[tokio::test]
async fn a_preview_shows_how_the_file_would_be_read_and_keeps_nothing() {
    let app = TestApp::spawn(Backends::Real).await;
    let csv = data_csv();
    let form = file_form("data.csv", csv.clone())
        .text("datasource_name", "sales")
        .text("colum_types", "{}"); // a typo: reported, as an upload would
    let body = ok_json(preview(&app, "", form).await).await;

    assert_eq!(body["format"], "csv");
    assert_eq!(body["delimiter"], ",");
    assert_eq!(body["encoding"]["name"], "UTF-8");
    assert_eq!(body["truncated"], false);
    let header: Vec<&str> = std::str::from_utf8(&csv)
        .expect("UTF-8")
        .lines()
        .next()
        .expect("header")
        .split(',')
        .collect();
    let columns: Vec<&str> = body["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .map(|c| c["name"].as_str().expect("name"))
        .collect();
    assert_eq!(columns, header);
    let time = body["timestamp"]["column"].as_str().expect("a time column");
    let time_index = columns.iter().position(|c| *c == time).expect("listed");
    let rows = body["rows"].as_array().expect("rows");
    assert_eq!(rows.len(), 50, "the first 50 rows");
    assert_eq!(rows[0]["line"], 2);
    assert_eq!(
        rows[0]["values"].as_array().expect("values").len(),
        columns.len()
    );
    let first_time = rows[0]["values"][time_index].as_str().expect("a time");
    assert!(first_time.ends_with('Z'), "row time in UTC: {first_time}");
    assert!(errors(&body).is_empty(), "{body}");
    assert_eq!(body["warnings"][0]["code"], "unknown_field", "{body}");

    nothing_kept(&app).await;
}

#[tokio::test]
async fn a_truncated_csv_is_not_a_broken_last_row() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let csv = data_csv();
    // Cut in the middle of a line, as the dashboard's slice of a big file is.
    let cut = &csv[..csv.len() / 2];
    let complete_lines = cut.iter().filter(|&&b| b == b'\n').count() as u64 - 1;
    assert_ne!(cut.last(), Some(&b'\n'), "the cut is mid-line");

    let body =
        ok_json(preview(&app, "?truncated=true", file_form("data.csv", cut.to_vec())).await).await;
    assert_eq!(body["truncated"], true);
    assert!(errors(&body).is_empty(), "{body}");
    assert_eq!(body["rows_read"], complete_lines);

    // The same bytes, not marked as cut, are a file with a broken last row.
    let whole = ok_json(preview(&app, "", file_form("data.csv", cut.to_vec())).await).await;
    assert!(!errors(&whole).is_empty(), "{whole}");
    nothing_kept(&app).await;
}

#[tokio::test]
async fn a_preview_parses_under_the_validation_limits() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| s.validation.max_columns = 2).await;
    let body = ok_json(preview(&app, "", file_form("data.csv", data_csv())).await).await;
    let codes: Vec<&Value> = errors(&body).iter().map(|p| &p["code"]).collect();
    assert_eq!(codes, ["too_many_columns"], "{body}");

    // Hostile files fail the preview as they fail validation, without
    // being inflated or allocated for.
    let app = TestApp::spawn(Backends::Embedded).await;
    let dir = tempfile::tempdir().expect("temp dir");
    let cases = ingest_hostile_files::corpus(dir.path()).expect("corpus");
    for file in [
        "zip-bomb.xlsx",
        "shared-strings.xlsx",
        "wide.csv",
        "many-keys.json",
    ] {
        let case = cases
            .iter()
            .find(|c| c.file_name() == file)
            .expect("in the corpus");
        let ingest_hostile_files::Outcome::Fails(code) = case.outcome else {
            panic!("{file} is expected to fail");
        };
        let bytes = std::fs::read(&case.path).expect("read");
        let body = ok_json(preview(&app, "", file_form(file, bytes)).await).await;
        let codes: Vec<&Value> = errors(&body).iter().map(|p| &p["code"]).collect();
        assert!(codes.contains(&&Value::from(code)), "{file}: {body}");
    }
    nothing_kept(&app).await;
}

#[tokio::test]
async fn a_preview_over_its_size_limit_is_refused_and_keeps_nothing() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| {
        s.http.preview.max_preview_bytes = 4096
    })
    .await;
    let body = assert_error(
        preview(&app, "", file_form("data.csv", data_csv())).await,
        413,
        "preview_too_large",
    )
    .await;
    assert_eq!(body["error"]["details"]["limit_bytes"], 4096);
    // Not a form error: an empty file and a PNG get the upload's answers.
    assert_error(
        preview(&app, "", file_form("e.csv", Vec::new())).await,
        422,
        "empty_file",
    )
    .await;
    let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    assert_error(
        preview(&app, "", file_form("p.png", png)).await,
        415,
        "unsupported_file_type",
    )
    .await;
    nothing_kept(&app).await;
}

/// A preview request sent over a raw socket, so a test can hold it open.
struct HeldPreview {
    stream: TcpStream,
    rest: Vec<u8>,
}

impl HeldPreview {
    /// Sends the head and the first part of the body; the rest waits.
    async fn start(app: &TestApp) -> Self {
        let boundary = "preview-test-boundary";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"held.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&data_csv());
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let address = app.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).await.expect("connect");
        let head = format!(
            "POST /api/ingest/preview HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.expect("head sent");
        stream.write_all(&body[..100]).await.expect("start sent");
        Self {
            stream,
            rest: body[100..].to_vec(),
        }
    }

    async fn finish(mut self) -> u16 {
        self.stream.write_all(&self.rest).await.expect("rest sent");
        let mut answer = Vec::new();
        self.stream
            .read_to_end(&mut answer)
            .await
            .expect("answer read");
        let text = String::from_utf8_lossy(&answer);
        text.get(9..12)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("a status line: {text}"))
    }
}

#[tokio::test]
async fn previews_beyond_the_cap_are_refused_with_retry_after() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| {
        s.http.preview.max_concurrent_previews = 1;
    })
    .await;
    let held = HeldPreview::start(&app).await;
    // The held request has its slot once its handler runs.
    tokio::time::timeout(Duration::from_secs(60), async {
        while app.state.preview.running() == 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the held preview started");

    let refused = preview(&app, "", file_form("data.csv", data_csv())).await;
    let retry_after = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(
        retry_after.is_some_and(|s| s > 0),
        "Retry-After: {retry_after:?}"
    );
    assert_error(refused, 429, "too_many_previews").await;

    assert_eq!(held.finish().await, 200);
    // The slot is given back once the parse ends.
    tokio::time::timeout(Duration::from_secs(60), async {
        while app.state.preview.running() > 0 {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the slot was given back");
    ok_json(preview(&app, "", file_form("data.csv", data_csv())).await).await;
    nothing_kept(&app).await;
}

#[tokio::test]
async fn a_workbook_preview_lists_its_sheets_and_reads_the_chosen_one() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let mut book = rust_xlsxwriter::Workbook::new();
    for (name, rows) in [("Notes", 1u32), ("Sales", 3)] {
        let sheet = book.add_worksheet();
        sheet.set_name(name).expect("name");
        sheet.write(0, 0, "time").expect("cell");
        sheet.write(0, 1, "amount").expect("cell");
        for r in 1..=rows {
            sheet
                .write(r, 0, format!("2024-01-0{r}T00:00:00Z"))
                .expect("cell");
            sheet.write(r, 1, f64::from(r) * 1.5).expect("cell");
        }
    }
    let bytes = book.save_to_buffer().expect("workbook");
    let form = file_form("book.xlsx", bytes).text("sheet", "Sales");
    let body = ok_json(preview(&app, "?truncated=true", form).await).await;
    assert_eq!(body["format"], "xlsx");
    assert_eq!(body["truncated"], false, "a workbook is never taken as cut");
    let sheets: Vec<(&str, bool)> = body["sheets"]
        .as_array()
        .expect("sheets")
        .iter()
        .map(|s| (s["name"].as_str().expect("name"), s["chosen"] == true))
        .collect();
    assert_eq!(sheets, [("Notes", false), ("Sales", true)]);
    assert_eq!(body["rows_read"], 3);
    assert_eq!(body["rows"][2]["values"][1], 4.5);
    nothing_kept(&app).await;
}
