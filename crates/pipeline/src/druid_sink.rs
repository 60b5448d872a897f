//! Druid as the sink: the normalized JSON lines go to S3, Druid's sampler
//! proves it can read it, an `index_parallel` task loads it, and once its
//! segments are queryable Druid SQL must count exactly the validated rows.
//!
//! This file holds the sink's settings and the order of one ingest; each
//! step lives in its own file: `input` (parts, plan, preflight), `order`
//! (one datasource's uploads in a serial order), `reruns` (earlier Druid
//! tasks of the upload), `slots` (the per-server cap on Druid tasks),
//! `follow` (the Druid task to its verdict), `count` (rows by lineage),
//! `errors` (codes and hints), `probe` (can Druid read our S3) and
//! `datasources` (the API's reads and deletes).

use std::{sync::Arc, time::Duration};

use async_trait::async_trait;
use ingest_domain::{DatasourceName, DruidState, IngestionWait, Task};
use ingest_druid::DruidClient;
use ingest_storage::ObjectStore;
use ingest_validation::OutputFormat;
use tracing::info;

use crate::metrics::DruidCall;
use crate::sink::{CancelCheck, DruidProgress, IngestSink, SinkJob, SinkOutcome};
use crate::SinkError;

mod count;
mod datasources;
mod errors;
mod follow;
mod input;
mod order;
pub(crate) mod parts;
mod probe;
mod reruns;
mod slots;

pub use errors::druid_hint;
use errors::{as_health_error, druid_failure};
use follow::{Backoff, ShutdownOnDrop};

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

pub struct DruidSink {
    client: DruidClient,
    objects: Arc<dyn ObjectStore>,
    config: DruidSinkConfig,
    /// The last read-probe verdict and when it was reached.
    read_probe: tokio::sync::Mutex<Option<(tokio::time::Instant, Result<(), SinkError>)>>,
    /// One permit per Druid task this server may have running
    /// (`max_concurrent_tasks`), held from submit to Druid's verdict.
    submissions: slots::SubmissionSlots,
    /// Appends and replaces of one datasource in a serial order (`order`).
    order: order::DatasourceOrder,
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
            submissions: slots::SubmissionSlots::new(config.max_concurrent_tasks),
            config,
            read_probe: tokio::sync::Mutex::new(None),
            order: Default::default(),
        }
    }

    pub fn client(&self) -> &DruidClient {
        &self.client
    }
}

// `SinkProbe` is implemented in `probe`, `DatasourceQuery` in `datasources`.
#[async_trait]
impl IngestSink for DruidSink {
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
        let _turn = match self.order.try_turn(&plan.datasource, plan.append) {
            Some(turn) => turn,
            None => {
                let wait = IngestionWait::datasource(&plan.datasource);
                progress.waiting(Some(wait)).await;
                let turn = self.order.turn(&plan.datasource, plan.append).await;
                progress.waiting(None).await;
                turn
            }
        };
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
        let slot = self
            .submissions
            .acquire(&plan, progress, self.config.poll_interval)
            .await;
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

    async fn delete_datasource(&self, name: &DatasourceName) -> Result<bool, SinkError> {
        self.delete(name).await
    }

    async fn stop_for_cancel(&self, task: &Task) -> CancelCheck {
        self.stop_run_for_cancel(task).await
    }
}
