//! Whether Druid can read what this server stores: the probe round trip
//! (a tiny file through S3 and Druid's sampler) that `ingest doctor` runs,
//! and the health check, which repeats it only now and then and otherwise
//! trusts the last verdict or what a real upload just showed.

use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use ingest_domain::{DatasourceName, FileFormat, IngestMode, StoredUpload, Task, TaskId};
use ingest_storage::object::upload_file;

use super::{as_health_error, druid_failure, DruidSink};
use crate::sink::{IngestSink, SinkJob, SinkProbe};
use crate::SinkError;

/// How long a read-probe verdict is trusted before the health check probes
/// again: a working setup is re-checked rarely, a broken one soon.
const READ_PROBE_OK_FOR: Duration = Duration::from_secs(300);
const READ_PROBE_FAILED_FOR: Duration = Duration::from_secs(30);

impl DruidSink {
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
    pub(super) async fn remember_read(&self, verdict: Result<(), SinkError>) {
        *self.read_probe.lock().await = Some((
            tokio::time::Instant::now(),
            verdict.map_err(as_health_error),
        ));
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
        let options = ingest_validation::Options::new(FileFormat::Csv, Utc::now(), format);
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
}

#[async_trait]
impl SinkProbe for DruidSink {
    fn name(&self) -> &'static str {
        "druid"
    }

    fn backend(&self) -> &'static str {
        "druid"
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
}
