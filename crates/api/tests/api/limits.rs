//! Issue 9 §7–8: configured limits take effect on a real server.

use std::time::Duration;

use ingest_domain::TaskStatus;
use serde_json::Value;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::helpers::{assert_error, data_csv, Backends, TestApp};

#[tokio::test]
async fn a_lowered_column_limit_fails_a_wider_file() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| s.validation.max_columns = 3).await;
    let csv = b"time,a,b,c\n2024-01-01T00:00:00Z,1,2,3\n".to_vec();
    let task = app.ingest("wide.csv", csv, "wide").await;
    assert_eq!(task.status(), TaskStatus::Failed, "{task:?}");
    let error = task.error.expect("an error");
    assert_eq!(error.code, "too_many_columns", "{error:?}");

    let narrow = b"time,a\n2024-01-01T00:00:00Z,1\n".to_vec();
    let task = app.ingest("narrow.csv", narrow, "narrow").await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{task:?}");
}

#[tokio::test]
async fn a_mistyped_query_parameter_gets_our_error_shape() {
    let app = TestApp::spawn(Backends::Embedded).await;
    for path in [
        "/api/ingest/tasks?limit=abc",
        "/api/ingest/tasks?offset=-1",
        "/api/ingest/tasks?limit=99999999999",
    ] {
        let body = assert_error(app.get(path).await, 400, "invalid_query").await;
        let reason = body["error"]["details"]["reason"].as_str().unwrap_or("");
        assert!(!reason.is_empty(), "{path}: {body}");
    }
    let (status, body) = app.get_json("/api/ingest/tasks?limit=5").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["limit"], 5);
}

/// An upload over a raw socket, so a test can stop sending mid-body.
struct RawUpload {
    stream: TcpStream,
    body: Vec<u8>,
    sent: usize,
}

impl RawUpload {
    /// Sends the request head and the first `first` bytes of a multipart
    /// body whose file part is a CSV of about 64 KiB.
    async fn start(app: &TestApp, first: usize) -> Self {
        let boundary = "limits-test-boundary";
        let mut csv = b"time,value\n".to_vec();
        while csv.len() < 64 * 1024 {
            csv.extend_from_slice(b"2024-01-01T00:00:00Z,42\n");
        }
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"datasource_name\"\r\n\r\nslow\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&csv);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let address = app.url.trim_start_matches("http://");
        let mut stream = TcpStream::connect(address).await.expect("connect");
        let head = format!(
            "POST /api/ingest/upload HTTP/1.1\r\nHost: {address}\r\n\
             Content-Type: multipart/form-data; boundary={boundary}\r\n\
             Content-Length: {}\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.expect("head sent");
        stream.write_all(&body[..first]).await.expect("part sent");
        Self {
            stream,
            body,
            sent: first,
        }
    }

    async fn send_rest(&mut self) {
        let rest = self.body[self.sent..].to_vec();
        self.stream.write_all(&rest).await.expect("rest sent");
        self.sent = self.body.len();
    }

    /// The response's status line and body (read until the body is complete
    /// or the server closes).
    async fn response(&mut self) -> (u16, Value) {
        let mut bytes = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            let read = self.stream.read(&mut buf).await.expect("read response");
            bytes.extend_from_slice(&buf[..read]);
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().to_owned())
                    })
                    .and_then(|v| v.parse::<usize>().ok());
                if read == 0 || length.is_some_and(|n| body.len() >= n) {
                    let status = head[9..12].parse().expect("status code");
                    return (status, serde_json::from_str(body).expect("JSON body"));
                }
            }
            assert!(read > 0, "the server closed without answering");
        }
    }
}

async fn nothing_kept(app: &TestApp) {
    let (_, tasks) = app.get_json("/api/ingest/tasks").await;
    assert_eq!(tasks["total"], 0, "no task: {tasks}");
    let objects = app.objects().list("").await.expect("list objects");
    assert!(objects.is_empty(), "no object: {objects:?}");
    assert_eq!(app.objects().pending_uploads().await.expect("pending"), 0);
}

/// Waits until the server holds a partial upload (the handler has its slot
/// and is streaming into the object store).
async fn partial_upload_started(app: &TestApp) {
    tokio::time::timeout(Duration::from_secs(60), async {
        while app.objects().pending_uploads().await.expect("pending") == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the upload started within a minute");
}

#[tokio::test]
async fn a_stalled_upload_is_cut_off_and_leaves_nothing() {
    let app =
        TestApp::spawn_with(Backends::Embedded, |s| s.http.upload_idle_timeout_secs = 1).await;
    // Past the format sniffing, so the object store has a partial upload.
    let mut upload = RawUpload::start(&app, 20 * 1024).await;
    let (status, body) = upload.response().await;
    assert_eq!(status, 408, "{body}");
    assert_eq!(body["error"]["code"], "upload_idle_timeout", "{body}");
    assert_eq!(body["error"]["details"]["idle_timeout_secs"], 1, "{body}");
    nothing_kept(&app).await;
}

#[tokio::test]
async fn uploads_beyond_the_concurrency_limit_are_refused_with_retry_after() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| s.http.max_concurrent_uploads = 1).await;
    let mut first = RawUpload::start(&app, 20 * 1024).await;
    partial_upload_started(&app).await;

    let refused = app.upload_bytes("data.csv", data_csv(), "second").await;
    let retry_after = refused
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    assert!(
        retry_after.is_some_and(|s| s > 0),
        "Retry-After: {retry_after:?}"
    );
    assert_error(refused, 429, "too_many_uploads").await;

    // The first upload goes on, and once it is answered its slot is free.
    first.send_rest().await;
    let (status, body) = first.response().await;
    assert_eq!(status, 202, "{body}");
    let third = app.upload_bytes("data.csv", data_csv(), "third").await;
    assert_eq!(third.status().as_u16(), 202, "{:?}", third.text().await);
}

#[tokio::test]
async fn a_druid_failure_reaches_clients_without_urls_or_druid_text() {
    // A loopback port nobody listens on: Druid is unreachable.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let druid = format!("http://127.0.0.1:{port}");
    let app = TestApp::spawn_with(Backends::Embedded, |s| s.druid_url = Some(druid.clone())).await;
    for path in ["/api/datasources", "/api/datasources/sales"] {
        let body = assert_error(app.get(path).await, 503, "sink_unavailable").await;
        let text = body.to_string();
        assert_eq!(
            body["error"]["details"]["code"], "druid_unreachable",
            "{text}"
        );
        assert!(
            !text.contains(&port.to_string()) && !text.contains("http://"),
            "no internal URL in {text}"
        );
    }
}

#[tokio::test]
async fn a_broken_local_sink_is_a_500_without_paths_and_a_missing_datasource_404() {
    let mut data_dir = None;
    let app =
        TestApp::spawn_with(Backends::Embedded, |s| data_dir = Some(s.data_dir.clone())).await;
    let data_dir = data_dir.expect("data dir");
    let task = app.ingest("data.csv", data_csv(), "sales").await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{task:?}");
    assert_error(
        app.get("/api/datasources/missing").await,
        404,
        "datasource_not_found",
    )
    .await;

    // A manifest the sink cannot read is the server's fault, not the
    // client's and not an outage: 500, and the path stays in the log.
    std::fs::write(
        data_dir.join("datasources/sales/MANIFEST.json"),
        b"{not json",
    )
    .expect("corrupt the manifest");
    for path in ["/api/datasources", "/api/datasources/sales"] {
        let body = assert_error(app.get(path).await, 500, "sink_failed").await;
        let text = body.to_string();
        assert_eq!(
            body["error"]["details"]["code"], "local_sink_failed",
            "{text}"
        );
        assert!(
            !text.contains(&*data_dir.to_string_lossy()) && !text.contains("MANIFEST"),
            "no server path in {text}"
        );
    }
}

#[tokio::test]
async fn a_local_upload_needs_free_disk_space() {
    let app = TestApp::spawn_with(Backends::Embedded, |s| {
        s.http.min_free_disk_bytes = u64::MAX / 2;
    })
    .await;
    let body = assert_error(
        app.upload_bytes("data.csv", data_csv(), "full").await,
        507,
        "insufficient_storage",
    )
    .await;
    assert!(
        body["error"]["details"]["available_bytes"].is_u64(),
        "{body}"
    );
    nothing_kept(&app).await;
}

#[tokio::test]
async fn a_client_stalling_in_its_request_line_is_cut_off() {
    let app =
        TestApp::spawn_with(Backends::Embedded, |s| s.http.header_read_timeout_secs = 1).await;
    let address = app.url.trim_start_matches("http://").to_owned();
    let mut stream = TcpStream::connect(&address).await.expect("connect");
    stream
        .write_all(b"GET /api/ingest/ta")
        .await
        .expect("half a request line");
    // The server closes the connection (with or without a 408); the outer
    // bound only keeps a broken server from hanging the test.
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut answer)).await;
    assert!(
        read.is_ok(),
        "the connection is still open after 60 s (the header timeout is 1 s)"
    );
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 408"),
        "{answer}"
    );
    // Other clients are served as usual.
    assert_eq!(app.get("/api/ingest/tasks").await.status().as_u16(), 200);
}

#[tokio::test]
async fn a_database_statement_that_waits_too_long_is_cancelled() {
    let mut url = None;
    let app = TestApp::spawn_with(Backends::Real, |s| {
        s.database.statement_timeout_secs = 1;
        url = s.database_url.as_ref().map(|u| u.expose().to_owned());
    })
    .await;
    let url = url.expect("a Postgres URL");
    // Another session holds the task table, so the list query waits on it.
    use sqlx::Connection;
    let mut blocker = sqlx::PgConnection::connect(&url).await.expect("connect");
    sqlx::query("BEGIN")
        .execute(&mut blocker)
        .await
        .expect("begin");
    sqlx::query("LOCK TABLE tasks IN ACCESS EXCLUSIVE MODE")
        .execute(&mut blocker)
        .await
        .expect("lock");
    let answer = tokio::time::timeout(Duration::from_secs(60), app.get("/api/ingest/tasks"))
        .await
        .expect("answered while the lock is still held");
    let body = assert_error(answer, 503, "backend_unavailable").await;
    assert!(
        !body.to_string().contains("statement timeout"),
        "the database's words stay in the log: {body}"
    );
    sqlx::query("ROLLBACK")
        .execute(&mut blocker)
        .await
        .expect("release");
    assert_eq!(app.get("/api/ingest/tasks").await.status().as_u16(), 200);
}
