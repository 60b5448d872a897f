//! Earlier Druid tasks of one upload, settled before anything is appended
//! again, and a cancel that stops the Druid task before it is saved.
//!
//! Every attempt that reaches Druid gets a Druid task id of its own,
//! deterministic so that a later attempt finds every earlier one: run `r`
//! (0 for the first, one more for each "Run again") numbers its Druid tasks
//! `ingest-<id>[-retry<r>]`, then `…-a2`, `…-a3`, … — each attempt takes
//! the first number Druid does not know, so the numbers have no gaps and a
//! look-up can stop at the first unknown one. (Druid keeps the id of a
//! failed task for good: resubmitting one that was shut down from outside
//! would only find it `FAILED` again.) `ingest_task_id` stays the lineage
//! column: the rows of every Druid task of one upload carry the upload's id.
//!
//! A task of an earlier run may still be running, or may have reached
//! Druid's commit point (`SUCCESS`) while the attempt that followed it was
//! cancelled or lost its lease before it could record that. Counting "rows
//! of this upload already in Druid" is only meaningful once every earlier
//! task is terminal; an earlier `SUCCESS` whose rows are all there is
//! adopted as this attempt's result instead of appending them a second time.
//! The newest Druid task of the current run, when still running, is followed
//! again rather than replaced (its attempt ended on a transient error, e.g.
//! Druid unreachable for a moment).

use std::time::Duration;

use ingest_domain::TaskId;
use ingest_domain::{DruidState, Task, TaskStatus};
use ingest_druid::{DruidError, IngestionPlan, TaskStatusCode};
use tracing::{info, warn};

use super::{druid_failure, Backoff, DruidSink};
use crate::metrics::DruidCall;
use crate::sink::{CancelCheck, DruidProgress, SinkJob, SinkOutcome};
use crate::SinkError;

/// How long a cancel waits for Druid to confirm that a shut-down task ended.
const CANCEL_WAIT: Duration = Duration::from_secs(30);

/// How long an adopted run's rows may take to become queryable again.
const ADOPT_WAIT: Duration = Duration::from_secs(60);

/// More Druid tasks than this in one run means something keeps shutting
/// them down: the attempt stops looking (each attempt adds at most one, and
/// the attempt budget ends a run long before).
const MAX_DRUID_TASKS_PER_RUN: u32 = 100;

/// The Druid task id of the `n`-th (0-based) Druid task of run `retries` of
/// an upload: `ingest-<id>`, `ingest-<id>-a2`, … for the first run,
/// `ingest-<id>-retry1`, `ingest-<id>-retry1-a2`, … for the next.
pub(super) fn druid_task_id(task_id: TaskId, retries: u32, n: u32) -> String {
    let run = match retries {
        0 => format!("ingest-{task_id}"),
        r => format!("ingest-{task_id}-retry{r}"),
    };
    match n {
        0 => run,
        n => format!("{run}-a{}", n + 1),
    }
}

/// What an attempt found of the upload's earlier Druid tasks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Earlier {
    /// This attempt's Druid task id: the first one Druid does not know, or
    /// (`follow`) the current run's newest, still running.
    pub id: String,
    /// The current run's newest Druid task is still running: this attempt
    /// follows it instead of submitting another.
    pub follow: bool,
    /// The newest Druid task of the upload that succeeded, if any did.
    pub succeeded: Option<String>,
    /// Whether Druid knows any earlier task of this upload.
    pub any: bool,
}

fn is_terminal(code: TaskStatusCode) -> bool {
    matches!(code, TaskStatusCode::Success | TaskStatusCode::Failed)
}

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
            match self.peek(id).await? {
                None => return Ok(None),
                Some(code) if is_terminal(code) => return Ok(Some(code)),
                Some(_) if stop && !asked_to_stop => {
                    asked_to_stop = true;
                    match self.client.shutdown(id).await.druid_call("shutdown") {
                        Ok(()) => info!(druid_task_id = %id, "earlier run's Druid task shut down"),
                        Err(e) => {
                            warn!(druid_task_id = %id, error = %e, "could not shut an earlier run's Druid task down")
                        }
                    }
                }
                Some(_) => {}
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

    /// Druid's word on task `id` now; `None`: Druid never had it.
    async fn peek(&self, id: &str) -> Result<Option<TaskStatusCode>, SinkError> {
        let answer = match self.client.status(id).await {
            // Druid 25 answers 404 for a task id it never saw: an answer,
            // not a failed call (each attempt asks for one such id).
            Err(DruidError::Rejected { status: 404, .. }) => Ok(None),
            other => other.map(|s| Some(s.code)),
        };
        answer
            .druid_call("status")
            .map_err(|e| druid_failure("druid_status_failed", &e))
    }

    /// Before an attempt submits: every Druid task of an earlier run is
    /// shut down if still running and awaited until terminal; the current
    /// run's earlier tasks are looked at (only its newest can be running,
    /// and is followed again). Picks this attempt's Druid task id.
    pub(super) async fn settle_earlier_runs(&self, task: &Task) -> Result<Earlier, SinkError> {
        let mut succeeded = None;
        let mut any = false;
        for run in 0..task.retries {
            for n in 0..MAX_DRUID_TASKS_PER_RUN {
                let id = druid_task_id(task.task_id, run, n);
                match self
                    .final_status(&id, true, self.config.load_timeout)
                    .await?
                {
                    None => break,
                    Some(TaskStatusCode::Success) => succeeded = Some(id),
                    Some(_) => {}
                }
                any = true;
            }
        }
        for n in 0..MAX_DRUID_TASKS_PER_RUN {
            let id = druid_task_id(task.task_id, task.retries, n);
            let follow = match self.peek(&id).await? {
                None => false,
                Some(code) if !is_terminal(code) => true,
                Some(code) => {
                    any = true;
                    if code == TaskStatusCode::Success {
                        succeeded = Some(id);
                    }
                    continue;
                }
            };
            return Ok(Earlier {
                id,
                follow,
                succeeded,
                any: any || follow,
            });
        }
        Err(SinkError::new(
            "druid_too_many_tasks",
            format!("this run of the upload already has {MAX_DRUID_TASKS_PER_RUN} Druid tasks; none is submitted again"),
            Some("Something keeps shutting this upload's Druid tasks down; see the Druid console, then run the task again."),
        ))
    }

    /// The current run's newest Druid task, if Druid knows any.
    async fn newest_of_run(&self, task: &Task) -> Result<Option<String>, SinkError> {
        let mut newest = None;
        for n in 0..MAX_DRUID_TASKS_PER_RUN {
            let id = druid_task_id(task.task_id, task.retries, n);
            if self.peek(&id).await?.is_none() {
                break;
            }
            newest = Some(id);
        }
        Ok(newest)
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
            let loaded = self.loaded_percent(plan).await?;
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
        let id = match self.newest_of_run(task).await {
            Ok(Some(id)) => id,
            // Never submitted: nothing to stop (should the attempt submit
            // after this look, its save fails once cancelled and it shuts
            // that Druid task down itself).
            Ok(None) => return CancelCheck::Stopped,
            Err(e) => {
                warn!(error = %e.message, "cancel goes on without Druid's last word");
                return CancelCheck::Stopped;
            }
        };
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_druid_task_of_an_upload_has_its_own_id() {
        let id = TaskId::new();
        assert_eq!(druid_task_id(id, 0, 0), format!("ingest-{id}"));
        assert_eq!(druid_task_id(id, 0, 1), format!("ingest-{id}-a2"));
        assert_eq!(druid_task_id(id, 2, 0), format!("ingest-{id}-retry2"));
        assert_eq!(druid_task_id(id, 2, 3), format!("ingest-{id}-retry2-a4"));
    }
}
