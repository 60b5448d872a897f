//! Druid as the sink: the normalized JSON lines go to S3, Druid's sampler
//! proves it can read it, an `index_parallel` task loads it, and once its
//! segments are queryable Druid SQL must count exactly the validated rows.

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ingest_domain::{
    ColumnType, DatasourceColumn, DatasourceName, DatasourceSummary, DruidState, FileFormat,
    Granularity, IngestMode, ReplaceWindow, StoredUpload, Task, TaskId, TimePoint,
};
use ingest_druid::{
    varchar, DimensionType, DruidClient, DruidError, IngestionPlan, SegmentGranularity, SpecColumn,
    TaskStatusCode, LINEAGE_COLUMN,
};
use ingest_storage::{
    object::{s3_location, upload_file, upload_file_range},
    ObjectStore, S3Location,
};
use ingest_validation::{OutputFormat, TIME_COLUMN};
use serde_json::Value;
use tracing::{info, warn};

use crate::metrics::DruidCall;
use crate::sink::{
    CancelCheck, DatasourceQuery, DruidProgress, IngestSink, Row, SinkJob, SinkOutcome, SinkProbe,
};

mod order;
pub(crate) mod parts;
mod reruns;
use crate::{SinkError, SinkErrorKind};

#[derive(Debug, Clone)]
pub struct DruidSinkConfig {
    /// The shortest wait between two looks at a Druid task or at its
    /// segments. Each wait is an eighth of the time waited so far, between
    /// this and `poll_interval`: a small file is done in seconds, and a fixed
    /// 2 s step would add a second on average to each of the two waits; a
    /// big one is not asked 4 times a second for long.
    pub first_poll_interval: Duration,
    pub poll_interval: Duration,
    /// How long to wait for segments to become queryable after SUCCESS.
    pub load_timeout: Duration,
    /// Longest a Druid task may run before we give up on it.
    pub task_timeout: Duration,
    /// Where Druid reads the normalized files: the bucket and prefix the
    /// object store writes to (`S3_BUCKET`, `S3_PREFIX`). `None` when the
    /// uploads are kept in a local folder, which Druid cannot read.
    pub input: Option<DruidInput>,
    /// Size of each part the normalized file is cut into (whole lines), each
    /// its own object read by its own Druid subtask.
    pub part_bytes: u64,
    /// Most parts one Druid task reads at once (`maxNumConcurrentSubTasks`).
    pub max_subtasks: u32,
    /// Most Druid tasks this server has running at once. A task with
    /// subtasks holds a worker slot while its subtasks wait for slots, so
    /// Druid's capacity must exceed the tasks submitted at once (see
    /// druid/README.md, "Parallel ingestion").
    pub max_concurrent_tasks: usize,
}

/// The S3 settings Druid is given to read our normalized files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DruidInput {
    pub bucket: String,
    pub prefix: String,
}

impl DruidInput {
    fn location(&self, key: &str) -> S3Location {
        s3_location(&self.bucket, &self.prefix, key)
    }
}

impl Default for DruidSinkConfig {
    fn default() -> Self {
        Self {
            first_poll_interval: Duration::from_millis(250),
            poll_interval: Duration::from_secs(2),
            load_timeout: Duration::from_secs(300),
            task_timeout: Duration::from_secs(3600),
            input: None,
            part_bytes: 256 * 1024 * 1024,
            max_subtasks: 2,
            max_concurrent_tasks: 2,
        }
    }
}

/// How long a read-probe verdict is trusted before the health check probes
/// again: a working setup is re-checked rarely, a broken one soon.
const READ_PROBE_OK_FOR: Duration = Duration::from_secs(300);
const READ_PROBE_FAILED_FOR: Duration = Duration::from_secs(30);

/// How long a count of an upload's rows that is neither 0 nor the validated
/// number is asked again before it counts as a mismatch.
const PARTIAL_COUNT_PATIENCE: Duration = Duration::from_secs(30);

pub struct DruidSink {
    client: DruidClient,
    objects: Arc<dyn ObjectStore>,
    config: DruidSinkConfig,
    /// The last read-probe verdict and when it was reached.
    read_probe: tokio::sync::Mutex<Option<(tokio::time::Instant, Result<(), SinkError>)>>,
    /// One permit per Druid task this server may have running
    /// (`max_concurrent_tasks`), held from submit to Druid's verdict.
    submissions: tokio::sync::Semaphore,
    /// Appends and replaces of one datasource in a serial order (`order`).
    order: order::DatasourceOrder,
}

/// What to tell a person about a Druid error message.
pub fn druid_hint(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("could not resolve type id 's3'")
        || m.contains("unknown input source") && m.contains("s3")
    {
        "Druid has no S3 support loaded: add \"druid-s3-extensions\" to druid_extensions_loadList in druid/environment and restart Druid."
    } else if m.contains("parquet")
        && (m.contains("could not resolve type id") || m.contains("unknown"))
    {
        "Druid cannot read Parquet: add \"druid-parquet-extensions\" to druid_extensions_loadList in druid/environment and restart Druid."
    } else if m.contains("access denied")
        || m.contains("invalidaccesskeyid")
        || m.contains("signaturedoesnotmatch")
        || m.contains("status code: 403")
        || m.contains("forbidden")
    {
        "Druid reached S3 but was refused: check druid_s3_accessKey and druid_s3_secretKey in druid/environment (they must match the S3 server's credentials)."
    } else if m.contains("nosuchbucket")
        || m.contains("bucket does not exist")
        || m.contains("nosuchkey")
        || m.contains("key does not exist")
    {
        "Druid reached S3 but could not find the object: check the bucket name and druid_s3_enablePathStyleAccess=true in druid/environment (MinIO-style servers need path-style access)."
    } else if m.contains("unable to execute http request")
        || m.contains("connect")
        || m.contains("unknownhost")
        || m.contains("timed out")
    {
        "Druid could not reach S3: check druid_s3_endpoint_url and druid_s3_protocol in druid/environment (the endpoint must be reachable from Druid's processes, e.g. http://s3:9000 in docker-compose.yml)."
    } else {
        "See Druid's message above and the task log in the Druid console; `ingest doctor` checks the S3 settings."
    }
}

/// A read-probe failure as the health check words it.
fn as_health_error(error: SinkError) -> SinkError {
    let fix = error
        .hint
        .as_deref()
        .map(|h| format!(" Fix: {h}"))
        .unwrap_or_default();
    SinkError {
        message: format!(
            "Druid answers but cannot read uploads from S3: {}.{fix}",
            error.message
        ),
        ..error
    }
}

/// The polling cadence: waits of an eighth of the time waited so far,
/// within the configured bounds, so that noticing an event late costs at
/// most about an eighth more than the event itself took.
struct Backoff {
    started: tokio::time::Instant,
    min: Duration,
    max: Duration,
}

impl Backoff {
    fn new(config: &DruidSinkConfig) -> Self {
        Self {
            started: tokio::time::Instant::now(),
            min: config.first_poll_interval.min(config.poll_interval),
            max: config.poll_interval,
        }
    }

    fn wait_after(&self, waited: Duration) -> Duration {
        (waited / 8).clamp(self.min, self.max)
    }

    async fn wait(&self) {
        tokio::time::sleep(self.wait_after(self.started.elapsed())).await;
    }
}

fn druid_failure(code: &str, error: &DruidError) -> SinkError {
    match error {
        DruidError::Unreachable { .. } => SinkError::new(
            "druid_unreachable",
            error.to_string(),
            Some("Check that Druid is running and that DRUID_URL points at its router (and DRUID_OVERLORD_URL / DRUID_COORDINATOR_URL, when set, at those processes); the task is retried automatically."),
        )
        .retryable(),
        DruidError::Rejected { message, status, .. } => {
            let sink_error = SinkError::new(code, error.to_string(), Some(druid_hint(message)));
            if error.is_transient() {
                sink_error.retryable()
            } else {
                sink_error.with_kind(rejection_kind(*status, message))
            }
        }
        other => SinkError::new(code, other.to_string(), None),
    }
}

/// What a Druid refusal means to a caller: SQL about a datasource that is
/// not (or no longer) there is `NotFound`; Druid failing itself (5xx) or a
/// Druid URL that reaches a process without that API (404: e.g. DRUID_URL at
/// an overlord, which serves no SQL; we look datasources up before acting on
/// them) is `Unavailable`; any other refusal is Druid's verdict on the
/// request.
fn rejection_kind(status: u16, message: &str) -> SinkErrorKind {
    if status >= 500 || status == 404 {
        SinkErrorKind::Unavailable
    } else if message.contains("Object '") && message.contains("not found") {
        SinkErrorKind::NotFound
    } else {
        SinkErrorKind::Rejected
    }
}

/// Druid's `errorMsg` for a task stopped through the shutdown API.
const SHUT_DOWN_BY_REQUEST: &str = "Shutdown request";

/// Shuts a submitted Druid task down when the attempt that follows it ends
/// before Druid's verdict: the attempt's future was dropped because its lease
/// was lost or the task cancelled, or it panicked. Without this, Druid would
/// go on appending rows nobody accounts for.
struct ShutdownOnDrop {
    client: DruidClient,
    druid_task_id: Option<String>,
}

impl Drop for ShutdownOnDrop {
    fn drop(&mut self) {
        let Some(id) = self.druid_task_id.take() else {
            return;
        };
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let client = self.client.clone();
        runtime.spawn(async move {
            match client.shutdown(&id).await {
                Ok(()) => info!(druid_task_id = %id, "attempt stopped: Druid task shut down"),
                Err(e) => tracing::warn!(druid_task_id = %id, error = %e, "attempt stopped but the Druid task could not be shut down"),
            }
        });
    }
}

/// Hits a fault point on a blocking thread: a `sleep` there holds this
/// attempt only, not the tasks queued on the same runtime thread (found by
/// the commit test: the server's answers waited for the pause to end).
async fn hit_off_runtime(faults: &ingest_domain::Faults, point: &'static str) {
    let faults = faults.clone();
    if let Err(error) = tokio::task::spawn_blocking(move || faults.hit(point)).await {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
    }
}

fn dimension_type(column_type: ColumnType) -> DimensionType {
    match column_type {
        ColumnType::Long => DimensionType::Long,
        ColumnType::Double => DimensionType::Double,
        ColumnType::Boolean | ColumnType::Timestamp | ColumnType::String => DimensionType::String,
    }
}

fn period(granularity: Granularity) -> &'static str {
    match granularity {
        Granularity::Minute => "PT1M",
        Granularity::Hour => "PT1H",
        Granularity::Day => "P1D",
        Granularity::Week => "P1W",
        Granularity::Month => "P1M",
    }
}

fn time_of(value: &Value) -> Option<DateTime<Utc>> {
    value.as_str().and_then(|s| s.parse().ok())
}

impl DruidSink {
    pub fn new(
        client: DruidClient,
        objects: Arc<dyn ObjectStore>,
        config: DruidSinkConfig,
    ) -> Self {
        Self {
            client,
            objects,
            submissions: tokio::sync::Semaphore::new(config.max_concurrent_tasks.max(1)),
            config,
            read_probe: tokio::sync::Mutex::new(None),
            order: Default::default(),
        }
    }

    /// Whether Druid can read what we put in S3 (the `probe` round trip),
    /// remembered for a while so that health checks stay cheap. Its error
    /// carries Druid's words and the hint, for the dashboard's indicator.
    async fn can_read_uploads(&self) -> Result<(), SinkError> {
        let mut last = self.read_probe.lock().await;
        if let Some((at, verdict)) = last.as_ref() {
            let trusted = if verdict.is_ok() {
                READ_PROBE_OK_FOR
            } else {
                READ_PROBE_FAILED_FOR
            };
            if at.elapsed() < trusted {
                return verdict.clone();
            }
        }
        let verdict = self.probe().await.map_err(as_health_error);
        *last = Some((tokio::time::Instant::now(), verdict.clone()));
        verdict
    }

    /// What a real upload just showed about reading from S3 is fresher than
    /// the last probe: the health check reports it at once.
    async fn remember_read(&self, verdict: Result<(), SinkError>) {
        *self.read_probe.lock().await = Some((
            tokio::time::Instant::now(),
            verdict.map_err(as_health_error),
        ));
    }

    /// Where Druid finds `key`, from the configured bucket and prefix.
    fn input_location(&self, key: &str) -> Result<S3Location, SinkError> {
        self.config.input.as_ref().map(|input| input.location(key)).ok_or_else(|| {
            SinkError::new(
                "druid_needs_s3",
                "Druid reads uploads from S3, but the object store is a local folder",
                Some("Set S3_BUCKET, S3_ENDPOINT and the AWS_* credentials so the server stores uploads where Druid can read them."),
            )
        })
    }

    pub fn client(&self) -> &DruidClient {
        &self.client
    }

    fn plan(&self, job: &SinkJob<'_>, bucket: String, keys: Vec<String>) -> IngestionPlan {
        let report = job.report;
        let time_column = report.timestamp.column.as_deref();
        let dimensions = report
            .columns
            .iter()
            .filter(|c| Some(c.name.as_str()) != time_column)
            .map(|c| SpecColumn {
                name: c.name.clone(),
                kind: dimension_type(c.column_type),
            })
            .collect();
        let min = report.timestamp.min.unwrap_or(job.task.created_at);
        let max = report.timestamp.max.unwrap_or(min);
        IngestionPlan {
            // The first Druid task of this run; an attempt settles on its
            // own id once it has looked at the earlier ones (`reruns`).
            druid_task_id: reruns::druid_task_id(job.task.task_id, job.task.retries, 0),
            datasource: job.task.datasource.to_string(),
            bucket,
            keys,
            max_subtasks: self.config.max_subtasks.max(1),
            time_column: TIME_COLUMN.to_owned(),
            dimensions,
            min_time: min,
            max_time: max,
            segment_granularity: SegmentGranularity::for_span(min, max),
            append: job.task.mode == IngestMode::Append,
            lineage_id: job.task.task_id.to_string(),
        }
    }

    /// A round trip through S3 and Druid's sampler with a tiny probe file:
    /// what `ingest doctor` runs to prove Druid can read our bucket.
    pub async fn probe(&self) -> Result<(), SinkError> {
        let scratch =
            tempfile::tempdir().map_err(|e| SinkError::new("probe_failed", e.to_string(), None))?;
        let format = self.normalized_format();
        let (csv, normalized) = (
            scratch.path().join("probe.csv"),
            scratch.path().join(format!("probe.{}", format.extension())),
        );
        std::fs::write(&csv, "time,probe\n2024-01-01T00:00:00Z,1\n")
            .map_err(|e| SinkError::new("probe_failed", e.to_string(), None))?;
        let options = ingest_validation::Options {
            format: FileFormat::Csv,
            delimiter: None,
            timestamp_column: None,
            encoding: None,
            sheet: None,
            fallback_time: Utc::now(),
            output_format: format,
            column_types: Default::default(),
            timestamp_format: None,
            rejected_rows: Default::default(),
        };
        let report =
            ingest_validation::validate(&csv, &options, Some(&normalized), &Default::default())
                .map_err(|e| SinkError::new("probe_failed", e.to_string(), None))?;
        let key = format!(
            "probe/druid-read-{}.{}",
            uuid::Uuid::new_v4(),
            format.extension()
        );
        let location = self.input_location(&key)?;
        upload_file(self.objects.as_ref(), &key, &normalized)
            .await
            .map_err(|e| SinkError::new("object_store_failed", e.to_string(), None))?;
        let now = Utc::now();
        let upload = StoredUpload {
            task_id: TaskId::new(),
            datasource: DatasourceName::parse("ingest_doctor_probe")
                .map_err(|e| SinkError::new("probe_failed", e.to_string(), None))?,
            file_name: "probe.csv".into(),
            object_key: key.clone(),
            size_bytes: 0,
            sha256: String::new(),
            format: FileFormat::Csv,
            mode: IngestMode::Append,
            timestamp_column: None,
        };
        let task = Task::queued(upload, now, now);
        let faults = ingest_domain::Faults::none();
        let job = SinkJob {
            task: &task,
            normalized: &normalized,
            report: &report,
            faults: &faults,
        };
        let outcome = self
            .preflight(&self.plan(&job, location.bucket, vec![location.key]))
            .await;
        self.objects.delete(&key).await.ok();
        outcome
    }

    /// Stores the normalized file as parts of `part_bytes` (one object when
    /// it is smaller); returns the bucket and the keys Druid reads them at.
    async fn store_parts(&self, job: &SinkJob<'_>) -> Result<(String, Vec<String>), SinkError> {
        let stored = |e: String| {
            SinkError::new(
                "object_store_failed",
                format!("could not store the normalized file: {e}"),
                None,
            )
            .retryable()
        };
        let (path, part_bytes) = (job.normalized.to_owned(), self.config.part_bytes);
        let ranges = tokio::task::spawn_blocking(move || parts::line_ranges(&path, part_bytes))
            .await
            .map_err(|e| stored(e.to_string()))?
            .map_err(|e| stored(e.to_string()))?;
        let extension = self.normalized_format().extension();
        let (mut bucket, mut keys) = (String::new(), Vec::with_capacity(ranges.len()));
        for (index, range) in ranges.iter().enumerate() {
            let key = parts::normalized_key(job.task.task_id, index, ranges.len(), extension);
            let location = self.input_location(&key)?;
            upload_file_range(self.objects.as_ref(), &key, job.normalized, range.clone())
                .await
                .map_err(|e| stored(e.to_string()))?;
            bucket = location.bucket;
            keys.push(location.key);
        }
        if keys.len() > 1 {
            info!(
                parts = keys.len(),
                part_bytes, "normalized file stored in parts"
            );
        }
        Ok((bucket, keys))
    }

    /// Waits until this server may run one more Druid task
    /// (`max_concurrent_tasks`): a task that runs subtasks holds a worker
    /// slot while they wait for slots, so unbounded submissions could fill
    /// every slot with tasks waiting for each other.
    async fn submission_slot(&self, plan: &IngestionPlan) -> tokio::sync::SemaphorePermit<'_> {
        if let Ok(permit) = self.submissions.try_acquire() {
            return permit;
        }
        info!(druid_task_id = %plan.druid_task_id, limit = self.config.max_concurrent_tasks, "waiting for one of this server's Druid tasks to end before submitting");
        // Never closed: the semaphore lives as long as the sink.
        self.submissions
            .acquire()
            .await
            .expect("the submission semaphore is never closed")
    }

    /// Fails fast, with Druid's words, when Druid cannot read the object.
    async fn preflight(&self, plan: &IngestionPlan) -> Result<(), SinkError> {
        let outcome = self
            .client
            .sample(&plan.sampler(5))
            .await
            .druid_call("sample")
            .map_err(|e| druid_failure("druid_cannot_read_input", &e))?;
        if let Some(first) = outcome.unparseable.first() {
            return Err(SinkError::new(
                "druid_cannot_parse_input",
                format!("Druid's sampler could not parse the file: {first}"),
                Some(druid_hint(first)),
            ));
        }
        if outcome.rows_read == 0 {
            return Err(SinkError::new(
                "druid_read_nothing",
                "Druid's sampler read no rows from the uploaded file",
                Some("Druid found the object but no rows in it; check that druid_s3_* in druid/environment point at the same S3 server this service writes to."),
            ));
        }
        Ok(())
    }

    async fn failure_details(&self, task_id: &str, status_error: Option<String>) -> SinkError {
        let report = self.client.report(task_id).await.unwrap_or_default();
        let log = self
            .client
            .log_tail(task_id, 4096)
            .await
            .unwrap_or_default();
        let mut message = status_error
            .or(report.error)
            .unwrap_or_else(|| "Druid reported the task as FAILED without a message".into());
        if let Some(parse) = report.parse_errors.first() {
            message.push_str(&format!("; first unparseable row: {parse}"));
        }
        let tail: Vec<&str> = log
            .lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let hint = druid_hint(&format!("{message}\n{log}"));
        let mut error = SinkError::new(
            "druid_task_failed",
            format!("Druid task {task_id} failed: {message}"),
            Some(hint),
        );
        if !tail.is_empty() {
            error.message.push_str(&format!(
                "\n--- last lines of the Druid task log ---\n{}",
                tail.join("\n")
            ));
        }
        error
    }

    /// Polls until the task ends; publishes each status change.
    async fn follow(
        &self,
        plan: &IngestionPlan,
        state: &mut DruidState,
        progress: &mut dyn DruidProgress,
        faults: &ingest_domain::Faults,
    ) -> Result<(), SinkError> {
        let started = tokio::time::Instant::now();
        let backoff = Backoff::new(&self.config);
        loop {
            let status = self
                .client
                .status(&plan.druid_task_id)
                .await
                .druid_call("status")
                .map_err(|e| druid_failure("druid_status_failed", &e))?;
            let word = format!("{:?}", status.code).to_uppercase();
            if state.status.as_deref() != Some(word.as_str()) {
                state.status = Some(word);
                if !progress.update(state.clone()).await {
                    self.client.shutdown(&plan.druid_task_id).await.ok();
                    return Err(SinkError::new(
                        "cancelled",
                        "the task was cancelled; the Druid task was shut down",
                        None,
                    ));
                }
            }
            if status.code == TaskStatusCode::Running {
                // Best effort: a report Druid does not have yet (or cannot
                // give now) leaves the progress as it was.
                if let Ok(live) = self.client.live_rows(&plan.druid_task_id).await {
                    progress.rows(live.processed, live.phase).await;
                }
            }
            match status.code {
                TaskStatusCode::Success => {
                    hit_off_runtime(faults, "druid_success").await;
                    // Druid's commit point: the rows are published. Record it
                    // so a cancel from now on is refused (409).
                    if !progress.commit().await {
                        warn!(druid_task_id = %plan.druid_task_id, "Druid published the rows but the commit could not be recorded on the task");
                    }
                    return Ok(());
                }
                TaskStatusCode::Failed
                    if status
                        .error
                        .as_deref()
                        .is_some_and(|e| e.contains(SHUT_DOWN_BY_REQUEST)) =>
                {
                    // Stopped from outside this attempt: by a cancel (which
                    // shuts the Druid task down before it saves), a server
                    // handing the task back, or by hand in the Druid console.
                    // Not a verdict on the file: a cancel lands on a task let
                    // go for a retry; otherwise the next attempt finds this
                    // Druid task FAILED and submits one under a new id
                    // (`reruns`), within the attempt budget.
                    return Err(SinkError::new(
                        "druid_task_shut_down",
                        format!("Druid task {} was shut down before it finished (a cancel, a server stopping, or by hand in Druid)", plan.druid_task_id),
                        Some("The task is retried with a new Druid task; if it keeps being shut down, look for who stops it in the Druid console, then run the task again."),
                    )
                    .retryable());
                }
                TaskStatusCode::Failed => {
                    let error = self
                        .failure_details(&plan.druid_task_id, status.error)
                        .await;
                    state.error = Some(error.message.clone());
                    return Err(error);
                }
                TaskStatusCode::Running | TaskStatusCode::Waiting => {}
            }
            if started.elapsed() > self.config.task_timeout {
                self.client.shutdown(&plan.druid_task_id).await.ok();
                return Err(SinkError::new(
                    "druid_task_timeout",
                    format!(
                        "Druid task {} ran longer than {:?} and was shut down",
                        plan.druid_task_id, self.config.task_timeout
                    ),
                    None,
                ));
            }
            backoff.wait().await;
        }
    }

    /// This upload's rows in the datasource (Druid SQL on the lineage column).
    async fn rows_of_upload(&self, plan: &IngestionPlan) -> Result<u64, SinkError> {
        let query = format!(
            r#"SELECT COUNT(*) AS "rows" FROM "{}" WHERE "{LINEAGE_COLUMN}" = ?"#,
            plan.datasource
        );
        let rows = self
            .client
            .sql(&query, &[varchar(&plan.lineage_id)])
            .await
            .druid_call("sql")
            .map_err(|e| druid_failure("druid_sql_failed", &e))?;
        Ok(rows.first().and_then(|r| r["rows"].as_u64()).unwrap_or(0))
    }

    /// Before running a task again: an earlier run may have put its rows in
    /// Druid (e.g. it failed only at the count check); appending them again
    /// would count them twice.
    async fn ensure_not_ingested_before(&self, plan: &IngestionPlan) -> Result<(), SinkError> {
        if !plan.append {
            return Ok(()); // replace overwrites them
        }
        let exists = self
            .client
            .sql(
                "SELECT COUNT(*) AS \"n\" FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid' AND TABLE_NAME = ?",
                &[varchar(&plan.datasource)],
            )
            .await
            .druid_call("sql")
            .map_err(|e| druid_failure("druid_sql_failed", &e))?
            .first()
            .and_then(|r| r["n"].as_u64())
            .unwrap_or(0)
            > 0;
        let earlier = if exists {
            self.rows_of_upload(plan).await?
        } else {
            0
        };
        if earlier > 0 {
            return Err(SinkError::new(
                "already_in_druid",
                format!("Druid already holds {earlier} rows of this upload from an earlier run; running it again would add them twice"),
                Some("Upload the file again with mode \"replace\" to overwrite the days it covers."),
            ));
        }
        Ok(())
    }

    /// Waits until the ingested interval is fully loaded, then counts this
    /// upload's rows with Druid SQL.
    async fn count_when_queryable(
        &self,
        plan: &IngestionPlan,
        expected: u64,
    ) -> Result<u64, SinkError> {
        let deadline = tokio::time::Instant::now() + self.config.load_timeout;
        let backoff = Backoff::new(&self.config);
        let mut partial_since = None;
        loop {
            let loaded = self
                .client
                .load_percent(&plan.datasource, &plan.interval())
                .await
                .druid_call("load_status")
                .map_err(|e| druid_failure("druid_load_status_failed", &e))?;
            // Loaded is not yet queryable: the broker learns of new segments
            // (and of a new datasource) a moment after the coordinator, and
            // answers "not found" until then. Ask again until the deadline.
            let mut last_error = None;
            if loaded >= 100.0 {
                match self.rows_of_upload(plan).await {
                    Ok(count) if count == expected => return Ok(count),
                    // The broker may know some of the new segments and not
                    // yet the others (a CI run under load counted 1121 of
                    // 1200): a partial count is final only after a while.
                    Ok(count) if count > 0 => {
                        let now = tokio::time::Instant::now();
                        if now > *partial_since.get_or_insert(now) + PARTIAL_COUNT_PATIENCE {
                            return Ok(count);
                        }
                    }
                    Ok(_) => {}
                    Err(error) => last_error = Some(error.message),
                }
            }
            if tokio::time::Instant::now() > deadline {
                let last = last_error
                    .map(|e| format!(" (last answer: {e})"))
                    .unwrap_or_default();
                return Err(SinkError::new(
                    "druid_segments_not_loaded",
                    format!("Druid ingested the data but its segments were not queryable within {:?}{last}", self.config.load_timeout),
                    Some("Check the historical's capacity (druid_segmentCache_locations, druid_server_maxSize) and the coordinator's and broker's logs."),
                )
                .retryable());
            }
            backoff.wait().await;
        }
    }
}

// The bodies behind the role traits (below), kept here in one block.
impl DruidSink {
    fn name(&self) -> &'static str {
        "druid"
    }

    fn backend(&self) -> &'static str {
        "druid"
    }

    /// Druid 25 from Maven Central has no Parquet reader, and every Druid
    /// reads JSON lines.
    fn normalized_format(&self) -> OutputFormat {
        OutputFormat::Ndjson
    }

    async fn ingest(
        &self,
        job: SinkJob<'_>,
        progress: &mut dyn DruidProgress,
    ) -> Result<SinkOutcome, SinkError> {
        let (bucket, keys) = self.store_parts(&job).await?;
        let mut plan = self.plan(&job, bucket, keys);
        let preflight = self.preflight(&plan).await;
        // Druid reading (or refusing to read) S3 says something about its
        // settings; a transient error or one odd file does not.
        match &preflight {
            Ok(()) => self.remember_read(Ok(())).await,
            Err(e) if e.code == "druid_cannot_read_input" && !e.retryable => {
                self.remember_read(Err(e.clone())).await;
            }
            Err(_) => {}
        }
        preflight?;
        // Held until this upload's rows are counted (dropped on return).
        let _turn = self.order.turn(&plan.datasource, plan.append).await;
        let earlier = self.settle_earlier_runs(job.task).await?;
        plan.druid_task_id = earlier.id.clone();
        if !earlier.follow {
            if let Some(succeeded) = earlier.succeeded {
                if let Some(outcome) = self.adopt(&job, &plan, succeeded, progress).await? {
                    return Ok(outcome);
                }
            }
            if earlier.any || job.task.retries > 0 {
                self.ensure_not_ingested_before(&plan).await?;
            }
        }
        let slot = self.submission_slot(&plan).await;
        if !progress.external().await {
            return Err(SinkError::new(
                "shutting_down",
                "the server is shutting down; the task is handed back before Druid was asked to do anything",
                None,
            )
            .retryable());
        }

        let druid_task_id = if earlier.follow {
            info!(druid_task_id = %plan.druid_task_id, "an earlier attempt's Druid task is still running: followed again");
            plan.druid_task_id.clone()
        } else {
            self.client
                .submit(&plan.task())
                .await
                .druid_call("submit")
                .map_err(|e| druid_failure("druid_submit_failed", &e))?
        };
        info!(%druid_task_id, "submitted to Druid");
        let mut unless_followed = ShutdownOnDrop {
            client: self.client.clone(),
            druid_task_id: Some(druid_task_id.clone()),
        };
        job.faults.hit("after_submit");
        let mut state = DruidState {
            task_id: druid_task_id,
            ..DruidState::default()
        };
        let followed = self.follow(&plan, &mut state, progress, job.faults).await;
        // Druid's verdict (or our shutdown) is in: nothing left to stop, and
        // the task's worker slots are free for the next submission.
        unless_followed.druid_task_id = None;
        drop(slot);
        if let Ok(report) = self.client.report(&plan.druid_task_id).await {
            if let Some(stats) = report.stats {
                state.processed = Some(stats.processed);
                state.unparseable = Some(stats.unparseable);
                state.thrown_away = Some(stats.thrown_away);
            }
        }
        if let Err(error) = followed {
            progress.update(state).await;
            return Err(error);
        }
        let rows = self
            .count_when_queryable(&plan, job.report.rows_accepted)
            .await?;
        state.rows_in_druid = Some(rows);
        if rows != job.report.rows_accepted {
            return Err(SinkError::new(
                "druid_count_mismatch",
                format!("Druid SQL counts {rows} rows for this upload but validation accepted {}", job.report.rows_accepted),
                Some("Compare Druid's task report (processed, unparseable, thrown away) with the validation report."),
            ));
        }
        Ok(SinkOutcome {
            rows,
            druid: Some(state),
        })
    }

    /// Druid answers, and (checked now and then) can read our uploads.
    async fn health(&self) -> Result<(), SinkError> {
        self.client
            .clone()
            .with_attempts(1)
            .healthy()
            .await
            .map_err(|e| druid_failure("druid_unhealthy", &e))?;
        self.can_read_uploads().await
    }

    async fn datasources(&self) -> Result<Vec<DatasourceSummary>, SinkError> {
        let rows = self
            .client
            .sql("SELECT TABLE_NAME AS \"name\" FROM INFORMATION_SCHEMA.TABLES WHERE TABLE_SCHEMA = 'druid' ORDER BY 1", &[])
            .await
            .map_err(|e| druid_failure("druid_sql_failed", &e))?;
        let mut out = Vec::new();
        for row in rows {
            let Some(name) = row["name"]
                .as_str()
                .and_then(|n| DatasourceName::parse(n).ok())
            else {
                continue;
            };
            if let Some(summary) = self.datasource(&name).await? {
                out.push(summary);
            }
        }
        Ok(out)
    }

    async fn datasource(
        &self,
        name: &DatasourceName,
    ) -> Result<Option<DatasourceSummary>, SinkError> {
        let columns = self
            .client
            .sql(
                "SELECT COLUMN_NAME AS \"name\", DATA_TYPE AS \"type\" FROM INFORMATION_SCHEMA.COLUMNS \
                 WHERE TABLE_SCHEMA = 'druid' AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION",
                &[varchar(name.as_str())],
            )
            .await
            .map_err(|e| druid_failure("druid_sql_failed", &e))?;
        if columns.is_empty() {
            return Ok(None);
        }
        // The name is a DatasourceName (letters, digits, _ and -), so it is
        // safe inside a quoted identifier.
        let query = format!(
            r#"SELECT COUNT(*) AS "rows", MIN(__time) AS "min", MAX(__time) AS "max" FROM "{name}""#
        );
        let stats = self
            .client
            .sql(&query, &[])
            .await
            .map_err(|e| druid_failure("druid_sql_failed", &e))?;
        let first = stats.first().cloned().unwrap_or(Value::Null);
        Ok(Some(DatasourceSummary {
            name: name.to_string(),
            row_count: first["rows"].as_u64().unwrap_or(0),
            min_time: time_of(&first["min"]),
            max_time: time_of(&first["max"]),
            columns: columns
                .iter()
                .map(|c| DatasourceColumn {
                    name: c["name"].as_str().unwrap_or_default().to_owned(),
                    column_type: c["type"].as_str().unwrap_or_default().to_ascii_lowercase(),
                })
                .collect(),
        }))
    }

    async fn rows_between(
        &self,
        name: &DatasourceName,
        window: ReplaceWindow,
    ) -> Result<u64, SinkError> {
        if self.datasource(name).await?.is_none() {
            return Ok(0);
        }
        // The name is a DatasourceName, safe inside a quoted identifier.
        let query = format!(
            r#"SELECT COUNT(*) AS "rows" FROM "{name}" WHERE __time >= MILLIS_TO_TIMESTAMP(?) AND __time < MILLIS_TO_TIMESTAMP(?)"#
        );
        let (start, end) = window.millis();
        let bigint = |v: i64| serde_json::json!({ "type": "BIGINT", "value": v });
        let rows = self
            .client
            .sql(&query, &[bigint(start), bigint(end)])
            .await
            .map_err(|e| druid_failure("druid_sql_failed", &e))?;
        Ok(rows.first().and_then(|r| r["rows"].as_u64()).unwrap_or(0))
    }

    async fn timeseries(
        &self,
        name: &DatasourceName,
        granularity: Granularity,
    ) -> Result<Option<Vec<TimePoint>>, SinkError> {
        if self.datasource(name).await?.is_none() {
            return Ok(None);
        }
        let query = format!(
            r#"SELECT TIME_FLOOR(__time, '{}') AS "time", COUNT(*) AS "rows" FROM "{name}" GROUP BY 1 ORDER BY 1"#,
            period(granularity)
        );
        let rows = self
            .client
            .sql(&query, &[])
            .await
            .map_err(|e| druid_failure("druid_sql_failed", &e))?;
        Ok(Some(
            rows.iter()
                .filter_map(|r| {
                    Some(TimePoint {
                        time: time_of(&r["time"])?,
                        rows: r["rows"].as_u64()?,
                    })
                })
                .collect(),
        ))
    }
}

/// A kill task for every unused segment of the datasource, whatever its
/// time: after `mark_unused`, that is all of them.
fn kill_task(datasource: &DatasourceName) -> Value {
    serde_json::json!({
        "type": "kill",
        "id": format!("ingest-kill-{datasource}-{}", uuid::Uuid::new_v4()),
        "dataSource": datasource.as_str(),
        "interval": "1000-01-01T00:00:00Z/3000-01-01T00:00:00Z",
    })
}

#[async_trait]
impl IngestSink for DruidSink {
    fn normalized_format(&self) -> OutputFormat {
        Self::normalized_format(self)
    }

    async fn ingest(
        &self,
        job: SinkJob<'_>,
        progress: &mut dyn DruidProgress,
    ) -> Result<SinkOutcome, SinkError> {
        Self::ingest(self, job, progress).await
    }

    /// Marks the segments unused (the rows leave queries as soon as the
    /// Historicals drop them), then a kill task removes them from deep
    /// storage and the metadata store.
    async fn delete_datasource(&self, name: &DatasourceName) -> Result<bool, SinkError> {
        if Self::datasource(self, name).await?.is_none() {
            return Ok(false);
        }
        self.client
            .mark_unused(name.as_str())
            .await
            .map_err(|e| druid_failure("druid_delete_failed", &e))?;
        let kill = self
            .client
            .submit(&kill_task(name))
            .await
            .map_err(|e| druid_failure("druid_delete_failed", &e))?;
        info!(datasource = %name, kill_task = %kill, "datasource marked unused; kill task submitted");
        Ok(true)
    }

    async fn stop_for_cancel(&self, task: &Task) -> CancelCheck {
        self.stop_run_for_cancel(task).await
    }
}

#[async_trait]
impl DatasourceQuery for DruidSink {
    async fn rows_between(
        &self,
        name: &DatasourceName,
        window: ReplaceWindow,
    ) -> Result<u64, SinkError> {
        Self::rows_between(self, name, window).await
    }

    async fn datasources(&self) -> Result<Vec<DatasourceSummary>, SinkError> {
        Self::datasources(self).await
    }

    async fn datasource(
        &self,
        name: &DatasourceName,
    ) -> Result<Option<DatasourceSummary>, SinkError> {
        Self::datasource(self, name).await
    }

    async fn timeseries(
        &self,
        name: &DatasourceName,
        granularity: Granularity,
    ) -> Result<Option<Vec<TimePoint>>, SinkError> {
        Self::timeseries(self, name, granularity).await
    }

    async fn sample(
        &self,
        name: &DatasourceName,
        limit: usize,
    ) -> Result<Option<Vec<Row>>, SinkError> {
        if Self::datasource(self, name).await?.is_none() {
            return Ok(None);
        }
        // The name is a DatasourceName, safe inside a quoted identifier.
        let query = format!(r#"SELECT * FROM "{name}" ORDER BY __time LIMIT {limit}"#);
        let rows = self
            .client
            .sql(&query, &[])
            .await
            .map_err(|e| druid_failure("druid_sql_failed", &e))?;
        Ok(Some(
            rows.into_iter()
                .filter_map(|row| match row {
                    Value::Object(map) => Some(map),
                    _ => None,
                })
                .collect(),
        ))
    }

    async fn size_bytes(&self, name: &DatasourceName) -> Result<Option<u64>, SinkError> {
        let rows = self
            .client
            .sql(
                "SELECT SUM(\"size\") AS \"bytes\" FROM sys.segments \
                 WHERE \"datasource\" = ? AND is_published = 1 AND is_overshadowed = 0",
                &[varchar(name.as_str())],
            )
            .await
            .map_err(|e| druid_failure("druid_sql_failed", &e))?;
        Ok(rows.first().and_then(|r| r["bytes"].as_u64()))
    }
}

#[async_trait]
impl SinkProbe for DruidSink {
    fn name(&self) -> &'static str {
        Self::name(self)
    }

    fn backend(&self) -> &'static str {
        Self::backend(self)
    }

    async fn health(&self) -> Result<(), SinkError> {
        Self::health(self).await
    }
}

#[cfg(test)]
mod tests {
    use super::{druid_hint, Backoff, DruidSinkConfig};
    use std::time::Duration;

    #[tokio::test]
    async fn polling_starts_fast_and_slows_to_the_interval() {
        let backoff = Backoff::new(&DruidSinkConfig::default());
        let after = |s: u64| backoff.wait_after(Duration::from_secs(s));
        assert_eq!(after(0), Duration::from_millis(250));
        assert_eq!(after(8), Duration::from_secs(1));
        assert_eq!(after(60), Duration::from_secs(2));
    }

    #[test]
    fn druid_reads_the_keys_the_s3_store_writes() {
        let input = |prefix: &str| super::DruidInput {
            bucket: "b".into(),
            prefix: prefix.into(),
        };
        for (prefix, key) in [
            ("", "normalized/t.json"),
            ("ingest", "ingest/normalized/t.json"),
            ("/ingest/", "ingest/normalized/t.json"),
            ("a/b/", "a/b/normalized/t.json"),
        ] {
            let location = input(prefix).location("normalized/t.json");
            assert_eq!(
                (location.bucket.as_str(), location.key.as_str()),
                ("b", key)
            );
        }
    }

    #[test]
    fn druid_refusals_have_the_kind_a_caller_can_act_on() {
        use super::{rejection_kind, SinkErrorKind as K};
        let missing = "org.apache.calcite.runtime.CalciteContextException: From line 1, column 46 to line 1, column 52: Object 'sales' not found";
        assert_eq!(rejection_kind(400, missing), K::NotFound);
        assert_eq!(rejection_kind(400, "Encountered \"FROM\""), K::Rejected);
        assert_eq!(
            rejection_kind(404, "<html><title>Error 404 Not Found</title></html>"),
            K::Unavailable,
            "a Druid URL at the wrong process is an outage to fix, not a refusal"
        );
        assert_eq!(
            rejection_kind(500, "java.lang.NullPointerException"),
            K::Unavailable
        );
    }

    #[test]
    fn hints_name_the_setting_to_fix() {
        let cases = [
            ("Could not resolve type id 's3' as a subtype of InputSource", "druid-s3-extensions"),
            ("com.amazonaws.services.s3.model.AmazonS3Exception: Access Denied (Service: Amazon S3; Status Code: 403)", "druid_s3_accessKey"),
            ("The specified bucket does not exist (Service: Amazon S3; Error Code: NoSuchBucket)", "druid_s3_enablePathStyleAccess"),
            ("Unable to execute HTTP request: Connect to 127.0.0.1:9 failed: Connection refused", "druid_s3_endpoint_url"),
            ("The specified key does not exist. (Service: Amazon S3; Status Code: 404; Error Code: NoSuchKey)", "druid_s3_enablePathStyleAccess"),
        ];
        for (message, setting) in cases {
            assert!(
                druid_hint(message).contains(setting),
                "{message:?} should point at {setting}"
            );
        }
        // A SQL error about a datasource is not about S3.
        let sql = "CalciteContextException: From line 1, column 32 to line 1, column 54: Object 'sales' not found";
        assert!(!druid_hint(sql).contains("druid_s3"), "{}", druid_hint(sql));
    }
}
