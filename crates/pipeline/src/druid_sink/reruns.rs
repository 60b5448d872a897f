//! Earlier Druid runs of one upload, settled before anything is appended
//! again, and a cancel that stops the Druid task before it is saved.
//!
//! Each "Run again" gets its own Druid task id (`ingest-<id>-retryN`), so a
//! task of an earlier run may still be running, or may have reached Druid's
//! commit point (`SUCCESS`) while the attempt that followed it was cancelled
//! or lost its lease before it could record that. Counting "rows of this
//! upload already in Druid" is only meaningful once every earlier task is
//! terminal; an earlier `SUCCESS` whose rows are all there is adopted as this
//! run's result instead of appending them a second time.

use std::time::Duration;

use ingest_domain::{DruidState, Task, TaskStatus};
use ingest_druid::{DruidError, IngestionPlan, TaskStatusCode};
use tracing::{info, warn};

use super::{druid_failure, run_id, Backoff, DruidSink};
use crate::metrics::DruidCall;
use crate::sink::{CancelCheck, DruidProgress, SinkJob, SinkOutcome};
use crate::SinkError;

/// How long a cancel waits for Druid to confirm that a shut-down task ended.
const CANCEL_WAIT: Duration = Duration::from_secs(30);

/// How long an adopted run's rows may take to become queryable again.
const ADOPT_WAIT: Duration = Duration::from_secs(60);

impl DruidSink {
    /// Waits until Druid task `id` is terminal, shutting it down first when
    /// `stop` (it belongs to a superseded run). `None`: Druid never had it.
    async fn final_status(
        &self,
        id: &str,
        stop: bool,
        patience: Duration,
    ) -> Result<Option<TaskStatusCode>, SinkError> {
        let deadline = tokio::time::Instant::now() + patience;
        let backoff = Backoff::new(&self.config);
        let mut asked_to_stop = false;
        loop {
            match self.client.status(id).await.druid_call("status") {
                // Druid 25 answers 404 for a task id it never saw.
                Err(DruidError::Rejected { status: 404, .. }) => return Ok(None),
                Err(e) => return Err(druid_failure("druid_status_failed", &e)),
                Ok(s) if matches!(s.code, TaskStatusCode::Success | TaskStatusCode::Failed) => {
                    return Ok(Some(s.code));
                }
                Ok(_) if stop && !asked_to_stop => {
                    asked_to_stop = true;
                    match self.client.shutdown(id).await.druid_call("shutdown") {
                        Ok(()) => info!(druid_task_id = %id, "earlier run's Druid task shut down"),
                        Err(e) => {
                            warn!(druid_task_id = %id, error = %e, "could not shut an earlier run's Druid task down")
                        }
                    }
                }
                Ok(_) => {}
            }
            if tokio::time::Instant::now() > deadline {
                return Err(SinkError::new(
                    "druid_earlier_run_running",
                    format!("Druid task {id} of an earlier run of this upload did not end within {patience:?}"),
                    Some("The task is retried once Druid has ended it; see the task in the Druid console."),
                )
                .retryable());
            }
            backoff.wait().await;
        }
    }

    /// Before run `task.retries` appends: every earlier run's Druid task is
    /// shut down if still running and awaited until terminal. Returns the id
    /// of one that succeeded (the newest), if any did.
    pub(super) async fn settle_earlier_runs(
        &self,
        task: &Task,
    ) -> Result<Option<String>, SinkError> {
        let mut succeeded = None;
        for run in 0..task.retries {
            let id = run_id(task.task_id, run);
            let status = self
                .final_status(&id, true, self.config.load_timeout)
                .await?;
            if status == Some(TaskStatusCode::Success) {
                succeeded = Some(id);
            }
        }
        Ok(succeeded)
    }

    /// An earlier run of this upload succeeded in Druid although its attempt
    /// never recorded it. When Druid holds exactly the validated rows of this
    /// upload, they are this run's result: the commit is recorded and
    /// nothing is submitted. `None`: they are not all there (replaced or
    /// deleted since), so this run goes on (the append guard decides).
    pub(super) async fn adopt(
        &self,
        job: &SinkJob<'_>,
        plan: &IngestionPlan,
        earlier: String,
        progress: &mut dyn DruidProgress,
    ) -> Result<Option<SinkOutcome>, SinkError> {
        let expected = job.report.rows_accepted;
        let rows = self.count_adopted(plan, expected).await?;
        if rows != expected {
            info!(druid_task_id = %earlier, rows, expected, "an earlier run succeeded but its rows are not all in Druid; running again");
            return Ok(None);
        }
        let mut state = DruidState {
            task_id: earlier.clone(),
            status: Some("SUCCESS".into()),
            rows_in_druid: Some(rows),
            ..DruidState::default()
        };
        if let Ok(report) = self.client.report(&earlier).await {
            if let Some(stats) = report.stats {
                state.processed = Some(stats.processed);
                state.unparseable = Some(stats.unparseable);
                state.thrown_away = Some(stats.thrown_away);
            }
        }
        if !progress.update(state.clone()).await || !progress.commit().await {
            return Err(SinkError::new(
                "cancelled",
                "the task was cancelled while an earlier run's rows were being adopted",
                None,
            ));
        }
        info!(druid_task_id = %earlier, rows, "an earlier run's rows are in Druid: adopted, nothing appended again");
        Ok(Some(SinkOutcome {
            rows,
            druid: Some(state),
        }))
    }

    /// This upload's rows once the earlier run's segments are queryable (a
    /// run that just succeeded is loaded a moment later), or what is there
    /// after a bounded wait.
    async fn count_adopted(&self, plan: &IngestionPlan, expected: u64) -> Result<u64, SinkError> {
        let deadline = tokio::time::Instant::now() + ADOPT_WAIT.min(self.config.load_timeout);
        let backoff = Backoff::new(&self.config);
        loop {
            let loaded = self
                .client
                .load_percent(&plan.datasource, &plan.interval())
                .await
                .druid_call("load_status")
                .map_err(|e| druid_failure("druid_load_status_failed", &e))?;
            let rows = if loaded >= 100.0 {
                // The datasource may be unknown to the broker for a moment.
                self.rows_of_upload(plan).await.unwrap_or(0)
            } else {
                0
            };
            if rows == expected || tokio::time::Instant::now() > deadline {
                return Ok(rows);
            }
            backoff.wait().await;
        }
    }

    /// The cancel of an ingesting task that has not recorded a commit:
    /// shuts its Druid task down and waits for Druid's last word. `SUCCESS`
    /// means Druid committed before the shutdown took: the cancel is refused
    /// and the worker records the commit. Druid not answering lets the
    /// cancel go on (a cancel must work while Druid is down); should that
    /// task have succeeded after all, the next run adopts its rows.
    pub(super) async fn stop_run_for_cancel(&self, task: &Task) -> CancelCheck {
        if task.status() != TaskStatus::Ingesting || task.is_committed() {
            return CancelCheck::Stopped;
        }
        let id = run_id(task.task_id, task.retries);
        match self.final_status(&id, true, CANCEL_WAIT).await {
            Ok(Some(TaskStatusCode::Success)) => {
                info!(druid_task_id = %id, "cancel refused: Druid had already committed the rows");
                CancelCheck::Committed
            }
            Ok(_) => CancelCheck::Stopped,
            Err(e) => {
                warn!(druid_task_id = %id, error = %e.message, "cancel goes on without Druid's last word");
                CancelCheck::Stopped
            }
        }
    }
}
