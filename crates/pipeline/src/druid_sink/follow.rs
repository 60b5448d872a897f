//! Following a submitted Druid task to its verdict: the polling cadence,
//! each status change and Druid's live row counters published on the task,
//! Druid's commit point (`SUCCESS`) recorded, a failure explained with the
//! task's report and log, and the Druid task shut down when the attempt
//! following it ends first.

use std::time::Duration;

use ingest_domain::DruidState;
use ingest_druid::{DruidClient, IngestionPlan, TaskStatusCode};
use tracing::{info, warn};

use super::{druid_failure, druid_hint, DruidSink, DruidSinkConfig};
use crate::metrics::DruidCall;
use crate::sink::DruidProgress;
use crate::SinkError;

/// The polling cadence: waits of an eighth of the time waited so far,
/// within the configured bounds, so that noticing an event late costs at
/// most about an eighth more than the event itself took.
pub(super) struct Backoff {
    started: tokio::time::Instant,
    min: Duration,
    max: Duration,
}

impl Backoff {
    pub(super) fn new(config: &DruidSinkConfig) -> Self {
        Self {
            started: tokio::time::Instant::now(),
            min: config.first_poll_interval.min(config.poll_interval),
            max: config.poll_interval,
        }
    }

    fn wait_after(&self, waited: Duration) -> Duration {
        (waited / 8).clamp(self.min, self.max)
    }

    pub(super) async fn wait(&self) {
        tokio::time::sleep(self.wait_after(self.started.elapsed())).await;
    }
}

/// Druid's `errorMsg` for a task stopped through the shutdown API.
const SHUT_DOWN_BY_REQUEST: &str = "Shutdown request";

/// Shuts a submitted Druid task down when the attempt that follows it ends
/// before Druid's verdict: the attempt's future was dropped because its lease
/// was lost or the task cancelled, or it panicked. Without this, Druid would
/// go on appending rows nobody accounts for.
pub(super) struct ShutdownOnDrop {
    pub(super) client: DruidClient,
    pub(super) druid_task_id: Option<String>,
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
                Err(e) => warn!(druid_task_id = %id, error = %e, "attempt stopped but the Druid task could not be shut down"),
            }
        });
    }
}

/// Hits a fault point on a blocking thread: a `sleep` there holds this
/// attempt only, not the tasks queued on the same runtime thread (found by
/// the commit test: the server's answers waited for the pause to end).
pub(super) async fn hit_off_runtime(faults: &ingest_domain::Faults, point: &'static str) {
    let faults = faults.clone();
    if let Err(error) = tokio::task::spawn_blocking(move || faults.hit(point)).await {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
    }
}

impl DruidSink {
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
    pub(super) async fn follow(
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
                    // Druid's counters at its verdict (its report now holds
                    // the final ones), shown while the rows become queryable.
                    if let Ok(last) = self.client.live_rows(&plan.druid_task_id).await {
                        progress.final_rows(last.processed, last.phase).await;
                    }
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn polling_starts_fast_and_slows_to_the_interval() {
        let backoff = Backoff::new(&DruidSinkConfig::default());
        let after = |s: u64| backoff.wait_after(Duration::from_secs(s));
        assert_eq!(after(0), Duration::from_millis(250));
        assert_eq!(after(8), Duration::from_secs(1));
        assert_eq!(after(60), Duration::from_secs(2));
    }
}
