//! Workers: claim a task, validate it, sink it, record every step.

use std::{path::PathBuf, sync::Arc, time::Duration};

use async_trait::async_trait;
use chrono::Utc;
use ingest_domain::{DruidState, StageName, Task, TaskError, TaskStatus};
use ingest_storage::{ObjectStore, TaskStore};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, instrument, warn, Instrument};

use crate::sink::{DruidProgress, Sink, SinkJob};
use crate::PipelineError;

#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Scratch space for downloaded and normalized files.
    pub work_dir: PathBuf,
    /// How long a claim lasts without renewal; a crashed worker's task is
    /// taken over after this.
    pub lease: Duration,
    /// Attempts before a task that keeps failing is given up.
    pub max_attempts: u32,
    /// Identifies this process's workers in leases.
    pub worker_id: String,
    /// How often idle workers look for tasks claimed elsewhere or expired.
    pub poll_interval: Duration,
}

impl PipelineConfig {
    pub fn new(work_dir: PathBuf) -> Self {
        Self {
            work_dir,
            lease: Duration::from_secs(60),
            max_attempts: 5,
            worker_id: format!("worker-{}", uuid::Uuid::new_v4()),
            poll_interval: Duration::from_secs(2),
        }
    }
}

pub struct Pipeline {
    tasks: Arc<dyn TaskStore>,
    objects: Arc<dyn ObjectStore>,
    sink: Arc<dyn Sink>,
    config: PipelineConfig,
    wake: Notify,
}

/// How far a task got in one attempt.
enum Step {
    Continue(Task),
    /// Finished, cancelled, or no longer ours: stop working on it.
    Stop(Task),
}

impl Pipeline {
    pub fn new(
        tasks: Arc<dyn TaskStore>,
        objects: Arc<dyn ObjectStore>,
        sink: Arc<dyn Sink>,
        config: PipelineConfig,
    ) -> Self {
        Self {
            tasks,
            objects,
            sink,
            config,
            wake: Notify::new(),
        }
    }

    pub fn sink(&self) -> &Arc<dyn Sink> {
        &self.sink
    }

    /// Tells idle workers that a task was queued.
    pub fn notify_queued(&self) {
        self.wake.notify_waiters();
    }

    /// Claims one task and takes it as far as it goes in this attempt.
    /// Returns the task as it was left, or `None` when nothing was waiting.
    pub async fn run_next(&self) -> Result<Option<Task>, PipelineError> {
        let Some(task) = self
            .tasks
            .claim(&self.config.worker_id, self.config.lease)
            .await?
        else {
            return Ok(None);
        };
        let span =
            tracing::info_span!("task", task_id = %task.task_id, datasource = %task.datasource);
        self.process(task).instrument(span).await.map(Some)
    }

    /// Runs tasks until none is waiting; for tests and one-shot use.
    pub async fn run_until_idle(&self) -> Result<Vec<Task>, PipelineError> {
        let mut done = Vec::new();
        while let Some(task) = self.run_next().await? {
            done.push(task);
        }
        Ok(done)
    }

    /// Starts `count` workers that run until `stop` fires.
    pub fn spawn_workers(
        self: &Arc<Self>,
        count: usize,
        stop: CancellationToken,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        (0..count)
            .map(|n| {
                let (pipeline, stop) = (Arc::clone(self), stop.clone());
                tokio::spawn(async move {
                    while !stop.is_cancelled() {
                        match pipeline.run_next().await {
                            Ok(Some(_)) => continue,
                            Ok(None) => {}
                            Err(error) => warn!(worker = n, error = %error, "worker attempt failed; the task will be retried"),
                        }
                        tokio::select! {
                            _ = pipeline.wake.notified() => {}
                            _ = tokio::time::sleep(pipeline.config.poll_interval) => {}
                            _ = stop.cancelled() => {}
                        }
                    }
                })
            })
            .collect()
    }

    async fn save(&self, task: Task) -> Result<Step, PipelineError> {
        if self
            .tasks
            .save(&task, &self.config.worker_id, self.config.lease)
            .await?
        {
            Ok(if task.status.is_terminal() {
                Step::Stop(task)
            } else {
                Step::Continue(task)
            })
        } else {
            info!("task was cancelled or taken over; stopping");
            let current = self.tasks.get(task.task_id).await?.unwrap_or(task);
            Ok(Step::Stop(current))
        }
    }

    async fn fail(&self, mut task: Task, error: TaskError) -> Result<Task, PipelineError> {
        warn!(code = %error.code, message = %error.message, "task failed");
        task.fail(error, Utc::now());
        match self.save(task).await? {
            Step::Continue(task) | Step::Stop(task) => Ok(task),
        }
    }

    #[instrument(skip_all, fields(attempt = task.attempts))]
    async fn process(&self, task: Task) -> Result<Task, PipelineError> {
        if task.attempts > self.config.max_attempts {
            let message = format!("gave up after {} attempts", task.attempts - 1);
            let error = TaskError::new(
                "too_many_attempts",
                message,
                Some("Check the server logs for the failures of earlier attempts.".into()),
            );
            return self.fail(task, error).await;
        }
        let scratch = tempfile::Builder::new()
            .prefix("task-")
            .tempdir_in(self.ensure_work_dir()?)?;
        let heartbeat = self.keep_lease(&task);
        let outcome = self
            .validate_and_sink(task, scratch.path().to_owned())
            .await;
        heartbeat.abort();
        outcome
    }

    fn ensure_work_dir(&self) -> Result<&std::path::Path, PipelineError> {
        std::fs::create_dir_all(&self.config.work_dir)?;
        Ok(&self.config.work_dir)
    }

    /// Renews the lease while the attempt runs, so a long validation or a
    /// slow Druid task is not taken over by another worker.
    fn keep_lease(&self, task: &Task) -> tokio::task::JoinHandle<()> {
        let (tasks, id, owner, lease) = (
            Arc::clone(&self.tasks),
            task.task_id,
            self.config.worker_id.clone(),
            self.config.lease,
        );
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(lease / 3).await;
                if !matches!(tasks.renew(id, &owner, lease).await, Ok(true)) {
                    return;
                }
            }
        })
    }

    async fn validate_and_sink(
        &self,
        mut task: Task,
        scratch: PathBuf,
    ) -> Result<Task, PipelineError> {
        task.status = TaskStatus::Validating;
        task.error = None;
        task.enter_stage(Some(StageName::Validation), Utc::now());
        let mut task = match self.save(task).await? {
            Step::Continue(task) => task,
            Step::Stop(task) => return Ok(task),
        };

        let input = scratch.join("input");
        let output_format = self.sink.normalized_format();
        let normalized = scratch.join(format!("normalized.{}", output_format.extension()));
        self.objects.download_to(&task.object_key, &input).await?;
        let options = ingest_validation::Options {
            format: task.format,
            delimiter: None,
            timestamp_column: task.timestamp_column.clone(),
            fallback_time: task.created_at,
            output_format,
        };
        let (input_path, output_path) = (input.clone(), normalized.clone());
        let report = tokio::task::spawn_blocking(move || {
            ingest_validation::validate(
                &input_path,
                &options,
                Some(&output_path),
                &ingest_validation::Control::default(),
            )
        })
        .await
        .map_err(|e| PipelineError::Join(e.to_string()))??;
        // The original is in the object store; the scratch copy can go now.
        tokio::fs::remove_file(&input).await.ok();

        task.rows_in = Some(report.rows_in);
        task.rejected_row_count = Some(report.rows_rejected);
        task.validation = Some(report.clone());
        if let Some(problem) = report.first_error() {
            let error = TaskError::new(
                &problem.code,
                problem.message.clone(),
                ingest_validation::hint_for(&problem.code),
            );
            return self.fail(task, error).await;
        }
        info!(
            rows = report.rows_accepted,
            rejected = report.rows_rejected,
            "validated"
        );

        task.status = TaskStatus::Ingesting;
        task.enter_stage(Some(StageName::Ingestion), Utc::now());
        let task = match self.save(task).await? {
            Step::Continue(task) => task,
            Step::Stop(task) => return Ok(task),
        };
        let mut progress = TaskProgress {
            pipeline: self,
            task: task.clone(),
            lost: false,
        };
        let job = SinkJob {
            task: &task,
            normalized: &normalized,
            report: &report,
        };
        let outcome = self.sink.ingest(job, &mut progress).await;
        let mut task = progress.task;
        if progress.lost {
            return Ok(self.tasks.get(task.task_id).await?.unwrap_or(task));
        }
        match outcome {
            Ok(outcome) => {
                task.row_count = Some(outcome.rows);
                if outcome.druid.is_some() {
                    task.druid = outcome.druid;
                }
                task.status = TaskStatus::Succeeded;
                task.enter_stage(None, Utc::now());
                info!(rows = outcome.rows, "ingested");
                Ok(match self.save(task).await? {
                    Step::Continue(task) | Step::Stop(task) => task,
                })
            }
            Err(error) if error.retryable && task.attempts < self.config.max_attempts => {
                // Leave the task claimable: the lease runs out and another
                // attempt starts; record why in the meantime.
                warn!(error = %error, "sink unavailable; will retry");
                task.error = Some(error.to_task_error());
                match self.save(task).await? {
                    Step::Continue(task) | Step::Stop(task) => Ok(task),
                }
            }
            Err(error) => self.fail(task, error.to_task_error()).await,
        }
    }
}

/// Saves Druid progress onto the task as the sink reports it.
struct TaskProgress<'a> {
    pipeline: &'a Pipeline,
    task: Task,
    lost: bool,
}

#[async_trait]
impl DruidProgress for TaskProgress<'_> {
    async fn update(&mut self, state: DruidState) -> bool {
        self.task.druid = Some(state);
        self.task.updated_at = Utc::now();
        match self.pipeline.save(self.task.clone()).await {
            Ok(Step::Continue(_)) => true,
            Ok(Step::Stop(current)) => {
                self.task = current;
                self.lost = true;
                false
            }
            Err(error) => {
                warn!(error = %error, "could not record Druid progress");
                true
            }
        }
    }
}
