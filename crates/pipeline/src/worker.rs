//! Workers: claim a task, validate it, sink it, record every step.
//!
//! Each claim carries its own lease token; every write of the attempt is
//! fenced by it, a heartbeat renews it, and the attempt stops the moment the
//! lease is lost (taken over, cancelled, queued again). Whatever ends an
//! attempt — a verdict on the file, a transient outage, a bug, a panic — is
//! recorded on the task; nothing is left to "check the server logs".

use std::{
    panic::AssertUnwindSafe,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicUsize, Ordering},
        Arc,
    },
    time::Duration,
};

use async_trait::async_trait;
use chrono::Utc;
use futures::FutureExt;
use ingest_domain::{
    DatasourceName, DruidState, Faults, IngestMode, ReplaceEffect, ReplaceWindow, Task, TaskError,
    TaskId, TaskStatus,
};
use ingest_storage::{Claim, LeaseToken, ObjectStore, TaskStore};
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;
use tracing::{info, instrument, warn, Instrument};

use crate::handover::{stop_requested, CommitGate};
use crate::sink::{DatasourceQuery, DruidProgress, IngestSink, SinkJob, Sinks};
use crate::PipelineError;

/// Renewals come at least this often, so a cancel stops the work within a
/// couple of seconds even under a long lease.
const MAX_RENEW_PERIOD: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Scratch space for downloaded and normalized files.
    pub work_dir: PathBuf,
    /// How long a claim lasts without renewal; a crashed worker's task is
    /// taken over after this.
    pub lease: Duration,
    /// Attempts before a task that keeps failing transiently is given up.
    pub max_attempts: u32,
    /// Names this process in leases, for people reading the table; the
    /// fence is the per-claim token, never this name.
    pub worker_id: String,
    /// How often idle workers look for tasks claimed elsewhere or expired.
    pub poll_interval: Duration,
    /// Delay before the first retry after a transient failure; it doubles
    /// with each attempt (with jitter) up to `retry_max`.
    pub retry_base: Duration,
    pub retry_max: Duration,
    /// Test aid: points where the work may be made to panic or abort.
    pub faults: Faults,
    /// What one file may make validation read or allocate.
    pub limits: ingest_validation::Limits,
    /// How often a running task's progress is published to the store.
    pub progress_interval: Duration,
    /// Threads validating one file (`INGEST_VALIDATION_THREADS`).
    pub validation_parallelism: ingest_validation::Parallelism,
}

impl PipelineConfig {
    pub fn new(work_dir: PathBuf) -> Self {
        Self {
            work_dir,
            lease: Duration::from_secs(60),
            max_attempts: 5,
            worker_id: format!("worker-{}", uuid::Uuid::new_v4()),
            poll_interval: Duration::from_secs(2),
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            faults: Faults::none(),
            limits: ingest_validation::Limits::default(),
            progress_interval: Duration::from_secs(1),
            validation_parallelism: ingest_validation::Parallelism::default(),
        }
    }

    /// Exponential backoff with jitter (50–100 % of the step) before
    /// attempt `attempts + 1`.
    fn retry_delay(&self, attempts: u32) -> Duration {
        let step = self
            .retry_base
            .saturating_mul(1 << attempts.saturating_sub(1).min(16))
            .min(self.retry_max);
        let jitter = f64::from(uuid::Uuid::new_v4().as_bytes()[0]) / 255.0;
        step.mul_f64(0.5 + jitter / 2.0)
    }
}

pub struct Pipeline {
    tasks: Arc<dyn TaskStore>,
    objects: Arc<dyn ObjectStore>,
    sink: Arc<dyn IngestSink>,
    /// Counts what a replace would drop (the query role of the same sink).
    query: Arc<dyn DatasourceQuery>,
    config: PipelineConfig,
    wake: Notify,
    live_workers: Arc<AtomicUsize>,
    /// Fires when the server shuts down: attempts stop at a safe point and
    /// hand their tasks back (see `handover`).
    shutdown: CancellationToken,
}

/// Why an attempt ended without finishing the task itself.
enum Stopped {
    /// The lease no longer holds: write nothing more.
    Lost,
    /// Something went wrong; the caller records it.
    Failed(PipelineError),
}

/// Lets `?` turn any error of the attempt into `Stopped::Failed`.
macro_rules! stopped_from {
    ($($error:ty),*) => {$(
        impl From<$error> for Stopped {
            fn from(error: $error) -> Self {
                Self::Failed(error.into())
            }
        }
    )*};
}
stopped_from!(
    PipelineError,
    ingest_storage::StorageError,
    std::io::Error,
    ingest_domain::IllegalTransition,
    crate::SinkError
);

/// Counts a worker as live while it exists (a panic that ends its loop
/// still drops it).
struct LiveWorker(Arc<AtomicUsize>);

impl LiveWorker {
    fn new(count: &Arc<AtomicUsize>) -> Self {
        count.fetch_add(1, Ordering::SeqCst);
        Self(Arc::clone(count))
    }
}

impl Drop for LiveWorker {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Pipeline {
    pub fn new(
        tasks: Arc<dyn TaskStore>,
        objects: Arc<dyn ObjectStore>,
        sinks: &Sinks,
        config: PipelineConfig,
    ) -> Self {
        Self {
            tasks,
            objects,
            sink: Arc::clone(&sinks.ingest),
            query: Arc::clone(&sinks.query),
            config,
            wake: Notify::new(),
            live_workers: Arc::new(AtomicUsize::new(0)),
            shutdown: CancellationToken::new(),
        }
    }

    /// Stops every running attempt at its next safe point and hands its
    /// task back; workers started by `spawn_workers` call it when their
    /// stop token fires.
    pub fn shut_down(&self) {
        self.shutdown.cancel();
    }

    pub fn sink(&self) -> &Arc<dyn IngestSink> {
        &self.sink
    }

    /// Workers whose loop is running now.
    pub fn live_workers(&self) -> usize {
        self.live_workers.load(Ordering::SeqCst)
    }

    /// Tells idle workers that a task was queued.
    pub fn notify_queued(&self) {
        self.wake.notify_waiters();
    }

    /// Claims one task and takes it as far as it goes in this attempt.
    /// Returns the task as it was left, or `None` when nothing was waiting.
    /// Only a failure to claim is an error: whatever happens to the task
    /// afterwards is recorded on it.
    pub async fn run_next(&self) -> Result<Option<Task>, PipelineError> {
        let Some(Claim { task, lease }) = self
            .tasks
            .claim(&self.config.worker_id, self.config.lease)
            .await?
        else {
            return Ok(None);
        };
        let span =
            tracing::info_span!("task", task_id = %task.task_id, datasource = %task.datasource);
        Ok(Some(self.process(task, lease).instrument(span).await))
    }

    /// Runs tasks until none is waiting; for tests and one-shot use.
    pub async fn run_until_idle(&self) -> Result<Vec<Task>, PipelineError> {
        let mut done = Vec::new();
        while let Some(task) = self.run_next().await? {
            done.push(task);
        }
        Ok(done)
    }

    /// Starts `count` workers that run until `stop` fires; then each hands
    /// its task back at a safe point (`shut_down`).
    pub fn spawn_workers(
        self: &Arc<Self>,
        count: usize,
        stop: CancellationToken,
    ) -> Vec<tokio::task::JoinHandle<()>> {
        let on_stop = (Arc::clone(self), stop.clone());
        tokio::spawn(async move {
            on_stop.1.cancelled().await;
            on_stop.0.shut_down();
        });
        (0..count)
            .map(|n| {
                let (pipeline, stop) = (Arc::clone(self), stop.clone());
                let live = LiveWorker::new(&self.live_workers);
                tokio::spawn(async move {
                    let _live = live;
                    while !stop.is_cancelled() {
                        // A panic here (outside a task's work, which catches
                        // its own) must not end the worker either.
                        let next = AssertUnwindSafe(pipeline.run_next()).catch_unwind().await;
                        match next {
                            Ok(Ok(Some(_))) => continue,
                            Ok(Ok(None)) => {}
                            Ok(Err(error)) => warn!(worker = n, error = %error, "could not claim a task"),
                            Err(panic) => warn!(worker = n, error = %PipelineError::from_panic(panic.as_ref()), "worker loop panicked; going on"),
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

    #[instrument(skip_all, fields(attempt = task.attempts))]
    async fn process(&self, task: Task, lease: LeaseToken) -> Task {
        let claimed = task.clone();
        if task.attempts > self.config.max_attempts {
            let error = gave_up(&task);
            return self.finish_failed(claimed, &lease, error).await;
        }
        // Fires when the lease is lost: the attempt is dropped at once.
        let stop = CancellationToken::new();
        let _heartbeat = AbortOnDrop(self.keep_lease(task.task_id, lease.clone(), stop.clone()));
        let gate = CommitGate::new(task.is_committed());
        let attempt = Attempt {
            pipeline: self,
            lease: &lease,
            stop: &stop,
            gate: &gate,
        };
        let work = AssertUnwindSafe(attempt.run(task)).catch_unwind();
        let outcome = tokio::select! {
            outcome = work => outcome,
            () = stop.cancelled() => Ok(Err(Stopped::Lost)),
            () = stop_requested(&self.shutdown, &gate) => {
                // The work is given up; this also stops a blocking
                // validation (its cancel flag watches `stop`).
                stop.cancel();
                return self.hand_back(claimed, &lease).await;
            }
        };
        match outcome {
            Ok(Ok(task)) => task,
            Ok(Err(Stopped::Lost)) => {
                crate::metrics::lease_lost();
                info!("lease lost (cancelled, queued again or taken over); attempt stopped");
                self.current(claimed).await
            }
            Ok(Err(Stopped::Failed(error))) => self.record(claimed, &lease, error).await,
            Err(panic) => {
                let error = PipelineError::from_panic(panic.as_ref());
                self.record(claimed, &lease, error).await
            }
        }
    }

    /// Records an attempt's error: a transient one lets the task go to be
    /// tried again after a backoff (while the budget lasts), anything else
    /// fails it at once.
    async fn record(&self, claimed: Task, lease: &LeaseToken, error: PipelineError) -> Task {
        let task_error = error.to_task_error();
        let mut task = self.current(claimed).await;
        let retry = error.is_transient() && task.attempts < self.config.max_attempts;
        if !retry {
            warn!(code = %task_error.code, message = %task_error.message, "task failed");
            return self.finish_failed(task, lease, task_error).await;
        }
        let delay = self.config.retry_delay(task.attempts);
        warn!(code = %task_error.code, message = %task_error.message, retry_in = ?delay, "attempt failed; will retry");
        task.record_error(task_error, Utc::now());
        let retry_at = Utc::now() + chrono::Duration::from_std(delay).unwrap_or_default();
        if let Err(e) = self.tasks.release(&task, lease, retry_at).await {
            warn!(error = %e, "could not record the failure; the lease will run out");
        }
        task
    }

    /// Gives the task back for a shutdown (`TaskStore::hand_back`); a task
    /// the store will not take back (committed, or the lease gone) is left
    /// as it is, for its lease to run out.
    async fn hand_back(&self, claimed: Task, lease: &LeaseToken) -> Task {
        let mut task = self.current(claimed).await;
        if task.hand_back(Utc::now()).is_ok() {
            match self.tasks.hand_back(&task, lease).await {
                Ok(true) => {
                    info!("server shutting down: task handed back, queued for any server");
                    return task;
                }
                Ok(false) => info!("server shutting down: the task could not be handed back (lease gone or committed)"),
                Err(e) => warn!(error = %e, "server shutting down: could not hand the task back; its lease will run out"),
            }
        }
        self.current(task).await
    }

    /// Fails the task as the store has it, fenced by `lease`.
    async fn finish_failed(&self, known: Task, lease: &LeaseToken, error: TaskError) -> Task {
        let mut task = self.current(known).await;
        if task.fail(error, Utc::now()).is_ok() {
            match self.tasks.save(&task, lease, self.config.lease).await {
                Ok(true) => {
                    crate::metrics::task_finished(&task);
                    return task;
                }
                Ok(false) => info!("lease lost before the failure could be recorded"),
                Err(e) => warn!(error = %e, "could not record the failure; the lease will run out"),
            }
        }
        self.current(task).await
    }

    /// The task as the store has it now (what the attempt last saved), or
    /// `known` when the store does not answer.
    async fn current(&self, known: Task) -> Task {
        match self.tasks.get(known.task_id).await {
            Ok(Some(task)) => task,
            Ok(None) => known,
            Err(e) => {
                warn!(error = %e, "could not reload the task");
                known
            }
        }
    }

    fn ensure_work_dir(&self) -> Result<&Path, PipelineError> {
        std::fs::create_dir_all(&self.config.work_dir)?;
        Ok(&self.config.work_dir)
    }

    /// Renews the lease while the attempt runs. A failed renewal is tried
    /// again until the lease would have expired; a refused one (the lease
    /// is gone) or an expired one fires `stop`, which ends the attempt.
    fn keep_lease(
        &self,
        id: TaskId,
        lease: LeaseToken,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        let (tasks, ttl) = (Arc::clone(&self.tasks), self.config.lease);
        let period = (ttl / 3).min(MAX_RENEW_PERIOD);
        tokio::spawn(async move {
            let mut held_until = tokio::time::Instant::now() + ttl;
            let mut wait = period;
            loop {
                tokio::time::sleep(wait).await;
                let asked_at = tokio::time::Instant::now();
                match tasks.renew(id, &lease, ttl).await {
                    Ok(true) => {
                        held_until = asked_at + ttl;
                        wait = period;
                    }
                    Ok(false) => break,
                    Err(error) if tokio::time::Instant::now() < held_until => {
                        warn!(%error, "lease renewal failed; retrying until the lease would expire");
                        wait = (period / 4).max(Duration::from_millis(50));
                    }
                    Err(error) => {
                        warn!(%error, "lease expired while renewals failed");
                        break;
                    }
                }
            }
            stop.cancel();
        })
    }
}

/// The failure of a task whose attempts ran out, naming what stopped the last one.
fn gave_up(task: &Task) -> TaskError {
    let tried = task.attempts.saturating_sub(1);
    let message = match &task.error {
        Some(last) => format!(
            "gave up after {tried} attempts; the last one failed with {}: {}",
            last.code, last.message
        ),
        None => format!(
            "gave up after {tried} attempts; each stopped without recording an error (the server was killed or crashed while working on it)"
        ),
    };
    let hint = task.error.as_ref().and_then(|e| e.hint.clone()).unwrap_or_else(|| {
        "Run it again once the server is stable; if it keeps stopping, the file may crash it: try `ingest validate` on it.".into()
    });
    TaskError::new("too_many_attempts", message, Some(hint))
}

struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One claim's work on one task, every write fenced by its lease.
struct Attempt<'a> {
    pipeline: &'a Pipeline,
    lease: &'a LeaseToken,
    /// Fires when the lease is lost.
    stop: &'a CancellationToken,
    /// Closed by the commit point or by a shutdown, whichever comes first.
    gate: &'a CommitGate,
}

impl Attempt<'_> {
    /// Publishes this attempt's progress on `task` (see `crate::progress`).
    fn publisher(&self, task: &Task) -> crate::progress::Publisher {
        let p = self.pipeline;
        crate::progress::Publisher::new(
            Arc::clone(&p.tasks),
            task.task_id,
            self.lease.clone(),
            p.config.progress_interval,
        )
    }

    async fn save(&self, task: Task) -> Result<Task, Stopped> {
        let p = self.pipeline;
        if p.tasks.save(&task, self.lease, p.config.lease).await? {
            crate::metrics::task_saved(&task);
            Ok(task)
        } else {
            self.stop.cancel();
            Err(Stopped::Lost)
        }
    }

    /// Validated → `ingesting`, unless the schema drifted and the upload
    /// asked to fail on that (then `failed`, `schema_drift`): decided and
    /// saved by the store under the datasource's lock (see
    /// `TaskStore::pass_schema_gate`).
    async fn pass_schema_gate(&self, task: Task) -> Result<Task, Stopped> {
        let p = self.pipeline;
        let Some(task) = p
            .tasks
            .pass_schema_gate(&task, self.lease, p.config.lease)
            .await?
        else {
            self.stop.cancel();
            return Err(Stopped::Lost);
        };
        crate::metrics::task_saved(&task);
        match (&task.error, &task.schema_drift) {
            (Some(error), _) if task.status() == TaskStatus::Failed => {
                warn!(code = %error.code, message = %error.message, "task failed");
            }
            (_, Some(drift)) if drift.drifted => {
                info!(drift = %drift.describe(), "schema drift allowed");
            }
            _ => {}
        }
        Ok(task)
    }

    /// Saves a task that now waits for a person and lets go of its lease:
    /// no worker holds (or claims) it until it is confirmed.
    async fn park(&self, task: Task) -> Result<Task, Stopped> {
        if self
            .pipeline
            .tasks
            .release(&task, self.lease, Utc::now())
            .await?
        {
            Ok(task)
        } else {
            self.stop.cancel();
            Err(Stopped::Lost)
        }
    }

    async fn run(&self, mut task: Task) -> Result<Task, Stopped> {
        let p = self.pipeline;
        // Named after the task, so the reaper can tell whose it is.
        let scratch = tempfile::Builder::new()
            .prefix(&format!("task-{}-", task.task_id))
            .tempdir_in(p.ensure_work_dir()?)?;
        task.start_validation(Utc::now())?;
        let mut task = self.save(task).await?;

        let input = scratch.path().join("input");
        let output_format = p.sink.normalized_format();
        let normalized = scratch
            .path()
            .join(format!("normalized.{}", output_format.extension()));
        p.objects.download_to(&task.object_key, &input).await?;
        let rejected = scratch.path().join("rejected-rows.csv");
        let options = ingest_validation::Options {
            format: task.format,
            delimiter: None,
            timestamp_column: task.timestamp_column.clone(),
            encoding: task.encoding.clone(),
            sheet: task.sheet.clone(),
            fallback_time: task.created_at,
            output_format,
            column_types: task.column_types.clone(),
            timestamp_format: task.timestamp_format.clone(),
            rejected_rows: ingest_validation::RejectedRowsOptions {
                budget: task.rejection_budget,
                quarantine: Some(rejected.clone()),
            },
        };
        let control = ingest_validation::Control::new(p.config.limits.clone())
            .with_parallelism(p.config.validation_parallelism.clone());
        // Stopped (dropped) as soon as validation returns, before the task
        // is saved on; a late save would change nothing anyway (fenced to
        // the `validating` status).
        let publisher = AbortOnDrop(crate::progress::publish_validation(
            self.publisher(&task),
            control.clone(),
            task.format,
        ));
        let report = validate_off_runtime(
            input.clone(),
            options,
            normalized.clone(),
            control,
            p.config.faults.clone(),
            self.stop.clone(),
        )
        .await?;
        drop(publisher);
        // The original is in the object store; the scratch copy can go now.
        tokio::fs::remove_file(&input).await.ok();

        task.rows_in = Some(report.rows_in);
        task.rejected_row_count = Some(report.rows_rejected);
        task.rejected_rows =
            keep_rejected_rows(p.objects.as_ref(), &task, &rejected, &report).await?;
        task.validation = Some(report.clone());
        if let Some(problem) = report.first_error() {
            let error = TaskError::new(
                &problem.code,
                problem.message.clone(),
                ingest_validation::hint_for(&problem.code),
            );
            warn!(code = %error.code, message = %error.message, "task failed");
            task.fail(error, Utc::now())?;
            return self.save(task).await;
        }
        info!(
            rows = report.rows_accepted,
            rejected = report.rows_rejected,
            "validated"
        );

        if task.mode == IngestMode::Replace {
            // Nothing leaves a datasource before someone agreed to exactly
            // this: computed now, and again after a confirmation (the
            // datasource may have changed while the task waited). A replace
            // that drops nothing (a new datasource) has nothing to ask.
            let window = ReplaceWindow::of_report(&report, task.created_at);
            let effect = replace_effect(p.query.as_ref(), &task.datasource, window).await?;
            if effect.replaced_rows > 0 && !task.consents_to(&effect) {
                info!(effect = %effect.summary, "replace waits for confirmation");
                task.await_confirmation(effect, Utc::now())?;
                return self.park(task).await;
            }
            task.replace_effect = Some(effect);
        }

        let task = self.pass_schema_gate(task).await?;
        if task.status() == TaskStatus::Failed {
            return Ok(task);
        }
        let mut progress = TaskProgress {
            attempt: self,
            task: task.clone(),
            lost: false,
            publisher: self.publisher(&task),
        };
        let job = SinkJob {
            task: &task,
            normalized: &normalized,
            report: &report,
            faults: &p.config.faults,
        };
        let outcome = p.sink.ingest(job, &mut progress).await;
        if progress.lost {
            return Err(Stopped::Lost);
        }
        let mut task = progress.task;
        let outcome = outcome?;
        if outcome.druid.is_some() {
            task.druid = outcome.druid;
        }
        task.succeed(outcome.rows, Utc::now())?;
        info!(rows = outcome.rows, "ingested");
        self.save(task).await
    }
}

/// Stores this run's rejected rows beside the upload, replacing an earlier
/// run's (or removing them when this run rejected none).
async fn keep_rejected_rows(
    objects: &dyn ObjectStore,
    task: &Task,
    file: &Path,
    report: &ingest_domain::ValidationReport,
) -> Result<Option<ingest_domain::RejectedRows>, ingest_storage::StorageError> {
    let key = ingest_domain::rejected_rows_key(task.task_id);
    if !file.exists() {
        objects.delete(&key).await?;
        return Ok(None);
    }
    let bytes = ingest_storage::object::upload_file(objects, &key, file).await?;
    Ok(Some(ingest_domain::RejectedRows {
        rows: report.rows_rejected,
        bytes,
    }))
}

/// What replacing `window` of `datasource` drops and keeps, from the sink's
/// counts.
async fn replace_effect(
    sink: &dyn DatasourceQuery,
    datasource: &DatasourceName,
    window: ReplaceWindow,
) -> Result<ReplaceEffect, crate::SinkError> {
    let total = sink
        .datasource(datasource)
        .await?
        .map_or(0, |d| d.row_count);
    let inside = sink.rows_between(datasource, window).await?;
    Ok(ReplaceEffect::new(
        datasource.as_str(),
        window,
        inside,
        total,
    ))
}

/// Validation reads and writes files for seconds to minutes: it runs on a
/// blocking thread. A panic inside comes back as a `JoinError` and becomes
/// `PipelineError::Panic` (the task fails with `internal_error`).
///
/// `stop` fires when the attempt's lease is lost or the task is cancelled; it
/// is wired to the validation control's cancel flag, so the blocking loops
/// stop within a few rows instead of finishing the file for nobody.
async fn validate_off_runtime(
    input: PathBuf,
    options: ingest_validation::Options,
    output: PathBuf,
    control: ingest_validation::Control,
    faults: Faults,
    stop: CancellationToken,
) -> Result<ingest_domain::ValidationReport, PipelineError> {
    let on_stop = control.clone();
    let watcher = tokio::spawn(async move {
        stop.cancelled().await;
        on_stop.cancel();
    });
    let work = tokio::task::spawn_blocking(move || {
        faults.hit("validation");
        ingest_validation::validate(&input, &options, Some(&output), &control)
    });
    let outcome = work.await;
    watcher.abort();
    match outcome {
        Ok(report) => Ok(report?),
        Err(e) if e.is_panic() => Err(PipelineError::from_panic(e.into_panic().as_ref())),
        Err(e) => Err(PipelineError::Join(e.to_string())),
    }
}

/// Saves Druid progress onto the task as the sink reports it.
struct TaskProgress<'a> {
    attempt: &'a Attempt<'a>,
    task: Task,
    lost: bool,
    /// Druid's row counters while its task runs (`DruidProgress::rows`).
    publisher: crate::progress::Publisher,
}

#[async_trait]
impl DruidProgress for TaskProgress<'_> {
    async fn update(&mut self, state: DruidState) -> bool {
        // Work now runs outside this process: a shutdown lets it finish.
        if !self.attempt.gate.pass() {
            return false;
        }
        self.task.druid = Some(state);
        self.task.updated_at = Utc::now();
        match self.attempt.save(self.task.clone()).await {
            Ok(_) => true,
            Err(Stopped::Lost) => {
                self.lost = true;
                false
            }
            Err(Stopped::Failed(error)) => {
                warn!(error = %error, "could not record Druid progress");
                true
            }
        }
    }

    async fn external(&mut self) -> bool {
        self.attempt.gate.pass()
    }

    async fn rows(&mut self, processed: Option<u64>, phase: Option<String>) {
        let accepted = self.task.validation.as_ref().map_or(0, |v| v.rows_accepted);
        let progress =
            ingest_domain::TaskProgress::ingestion(processed, accepted, phase, Utc::now());
        // A refusal (lease gone) is the heartbeat's to act on.
        self.publisher.publish(progress).await;
    }

    async fn final_rows(&mut self, processed: Option<u64>, phase: Option<String>) {
        let accepted = self.task.validation.as_ref().map_or(0, |v| v.rows_accepted);
        let progress =
            ingest_domain::TaskProgress::ingestion(processed, accepted, phase, Utc::now());
        self.publisher.publish_now(progress).await;
    }

    async fn waiting(&mut self, wait: Option<ingest_domain::IngestionWait>) {
        let accepted = self.task.validation.as_ref().map_or(0, |v| v.rows_accepted);
        let now = Utc::now();
        let progress = match wait {
            Some(wait) => ingest_domain::TaskProgress::ingestion_waiting(wait, accepted, now),
            None => ingest_domain::TaskProgress::ingestion(None, accepted, None, now),
        };
        self.publisher.publish_now(progress).await;
    }

    async fn commit(&mut self) -> bool {
        if !self.attempt.gate.pass() {
            return false;
        }
        let mut task = self.task.clone();
        if task.commit(Utc::now()).is_err() {
            return false;
        }
        match self.attempt.save(task).await {
            Ok(task) => {
                self.task = task;
                true
            }
            Err(Stopped::Lost) => {
                self.lost = true;
                false
            }
            // Unknown: do not publish now; the attempt is retried.
            Err(Stopped::Failed(error)) => {
                warn!(%error, "could not record the commit point");
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_grow_and_stay_bounded() {
        let mut config = PipelineConfig::new(PathBuf::from("/tmp"));
        config.retry_base = Duration::from_secs(1);
        config.retry_max = Duration::from_secs(10);
        for attempts in 1..40 {
            let delay = config.retry_delay(attempts);
            let step = Duration::from_secs(1 << (attempts - 1).min(16)).min(config.retry_max);
            assert!(delay >= step / 2 && delay <= step, "{attempts}: {delay:?}");
        }
    }
}
