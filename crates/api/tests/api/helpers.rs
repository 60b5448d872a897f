//! Starting the app for a test and talking to it.

use std::{path::PathBuf, sync::Arc};

use ingest_api::{config::Secret, Application, Settings};
use ingest_domain::Task;
use ingest_storage::ObjectStore;
use reqwest::multipart::{Form, Part};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// Which backends a test app uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backends {
    /// SQLite + local folder + local Parquet sink.
    Embedded,
    /// Postgres + S3 from `scripts/stack.sh env`, local Parquet sink.
    Real,
    /// Postgres + S3 + Druid (DRUID_URL) from `scripts/stack.sh env`.
    Druid,
}

pub struct TestApp {
    pub url: String,
    pub client: reqwest::Client,
    pub state: ingest_api::state::AppState,
    _data_dir: tempfile::TempDir,
    stop: CancellationToken,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// The repository root, where data.csv lives.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub fn required_env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: start the real backends with `scripts/stack.sh up && eval \"$(scripts/stack.sh env)\"` (scripts/test.sh does this)")
    })
}

/// A fresh, empty Postgres database for one test.
pub async fn fresh_postgres_url() -> String {
    use sqlx::Connection;
    let admin = required_env("DATABASE_URL");
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .expect("connect to Postgres");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let base = admin
        .rsplit_once('/')
        .map(|(base, _)| base)
        .expect("database URL has a path");
    format!("{base}/{name}")
}

pub fn settings(backends: Backends, data_dir: &std::path::Path) -> Settings {
    let mut settings = Settings {
        listen: "127.0.0.1:0".parse().expect("address"),
        data_dir: data_dir.to_owned(),
        database_url: None,
        s3_bucket: None,
        s3_endpoint: None,
        s3_region: "us-east-1".into(),
        s3_prefix: String::new(),
        aws_access_key_id: None,
        aws_secret_access_key: None,
        druid_url: None,
        druid_overlord_url: None,
        druid_coordinator_url: None,
        druid_username: None,
        druid_password: None,
        max_upload_bytes: 10 * 1024 * 1024 * 1024,
        workers: 0,
        task_lease_secs: 60,
        task_max_attempts: 5,
        task_retry_base_ms: 200,
        progress_interval_ms: 1000,
        fault: None,
        frontend_dir: data_dir.join("no-frontend"),
        auth: Default::default(),
        validation: Default::default(),
        http: Default::default(),
        lifecycle: Default::default(),
        database: Default::default(),
        druid: Default::default(),
        validation_threads: Default::default(),
    };
    if backends != Backends::Embedded {
        settings.s3_bucket = Some(required_env("S3_BUCKET"));
        settings.s3_endpoint = Some(required_env("S3_ENDPOINT"));
        settings.s3_region = required_env("S3_REGION");
        settings.s3_prefix = format!("test-{}", uuid::Uuid::new_v4().simple());
        settings.aws_access_key_id = Some(required_env("AWS_ACCESS_KEY_ID"));
        settings.aws_secret_access_key = Some(
            required_env("AWS_SECRET_ACCESS_KEY")
                .parse::<Secret>()
                .expect("secret"),
        );
    }
    if backends == Backends::Druid {
        settings.druid_url = Some(required_env("DRUID_URL"));
        // Set by `scripts/stack.sh env` when the router's management proxy is off.
        settings.druid_overlord_url = std::env::var("DRUID_OVERLORD_URL").ok();
        settings.druid_coordinator_url = std::env::var("DRUID_COORDINATOR_URL").ok();
    }
    settings
}

/// Every Druid API at `url` alone (a single overlord, such as the
/// deliberately broken ones, serves the task API and the sampler itself).
pub fn only_druid_at(settings: &mut Settings, url: String) {
    settings.druid_url = Some(url);
    settings.druid_overlord_url = None;
    settings.druid_coordinator_url = None;
}

impl TestApp {
    pub async fn spawn(backends: Backends) -> Self {
        Self::spawn_with(backends, |_| {}).await
    }

    /// Starts the app with workers off: tests run the pipeline themselves.
    pub async fn spawn_with(backends: Backends, adjust: impl FnOnce(&mut Settings)) -> Self {
        let data_dir = tempfile::tempdir().expect("temp dir");
        let mut settings = settings(backends, data_dir.path());
        if backends != Backends::Embedded {
            settings.database_url = Some(fresh_postgres_url().await.parse().expect("url"));
        }
        adjust(&mut settings);
        let app = Application::build(settings).await.expect("app builds");
        let url = format!("http://{}", app.address());
        let state = app.state().clone();
        let stop = app.stop_token();
        tokio::spawn(app.run(false));
        Self {
            url,
            client: reqwest::Client::new(),
            state,
            _data_dir: data_dir,
            stop,
        }
    }

    pub fn objects(&self) -> &Arc<dyn ObjectStore> {
        &self.state.objects
    }

    /// The app's data folder (local store and local sink).
    pub fn data_dir(&self) -> &std::path::Path {
        self._data_dir.path()
    }

    pub async fn upload_bytes(
        &self,
        file_name: &str,
        bytes: Vec<u8>,
        datasource: &str,
    ) -> reqwest::Response {
        let form = Form::new()
            .part("file", Part::bytes(bytes).file_name(file_name.to_owned()))
            .text("datasource_name", datasource.to_owned());
        self.post_form(form).await
    }

    pub async fn post_form(&self, form: Form) -> reqwest::Response {
        self.client
            .post(format!("{}/api/ingest/upload", self.url))
            .multipart(form)
            .send()
            .await
            .expect("request sent")
    }

    /// POST with no body (cancel, retry).
    pub async fn post(&self, path: &str) -> reqwest::Response {
        self.client
            .post(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.url))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let response = self.get(path).await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("JSON body"))
    }

    /// Uploads, expects 202, runs the workers until idle, returns the task.
    pub async fn ingest(&self, file_name: &str, bytes: Vec<u8>, datasource: &str) -> Task {
        let response = self.upload_bytes(file_name, bytes, datasource).await;
        assert_eq!(
            response.status().as_u16(),
            202,
            "upload accepted: {:?}",
            response.text().await
        );
        let body: Value = response.json().await.expect("JSON");
        let id = body["task_id"].as_str().expect("task id").to_owned();
        self.run_workers().await;
        self.task(&id).await
    }

    pub async fn run_workers(&self) {
        self.state
            .pipeline
            .run_until_idle()
            .await
            .expect("pipeline runs");
    }

    pub async fn task(&self, id: &str) -> Task {
        let (status, body) = self.get_json(&format!("/api/ingest/status/{id}")).await;
        assert_eq!(status, 200, "task found: {body}");
        serde_json::from_value(body).expect("task JSON")
    }
}

/// Asserts an error response: status, code, and the envelope's shape.
pub async fn assert_error(response: reqwest::Response, status: u16, code: &str) -> Value {
    let actual = response.status().as_u16();
    let body: Value = response.json().await.expect("error body is JSON");
    assert_eq!(actual, status, "status for {body}");
    assert_eq!(body["error"]["code"], code, "code in {body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "message in {body}"
    );
    assert!(body["error"]["details"].is_object(), "details in {body}");
    body
}

pub fn data_csv() -> Vec<u8> {
    std::fs::read(repo_root().join("data.csv")).expect("data.csv at the repository root")
}

/// Data rows of a CSV, counted by the csv crate (independent of ours).
pub fn csv_data_rows(bytes: &[u8]) -> u64 {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(bytes);
    let mut rows = 0;
    for record in reader.records() {
        record.expect("well-formed CSV");
        rows += 1;
    }
    rows
}
