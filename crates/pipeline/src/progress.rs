//! Publishing a running task's progress to the task store, where every
//! server reads it (many share one store; process memory would show only
//! this one's). At most one write per `every`, only when something changed,
//! each fenced by the attempt's lease (`TaskStore::save_progress`).

use std::{sync::Arc, time::Duration};

use chrono::Utc;
use ingest_domain::{FileFormat, TaskId, TaskProgress, ValidationPass};
use ingest_storage::{LeaseToken, TaskStore};
use ingest_validation::{Control, Pass};
use tokio::time::Instant;
use tracing::{debug, warn};

/// Where and how often one attempt publishes.
pub(crate) struct Publisher {
    pub tasks: Arc<dyn TaskStore>,
    pub id: TaskId,
    pub lease: LeaseToken,
    pub every: Duration,
    last: Option<(TaskProgress, Instant)>,
}

impl Publisher {
    pub fn new(tasks: Arc<dyn TaskStore>, id: TaskId, lease: LeaseToken, every: Duration) -> Self {
        Self {
            tasks,
            id,
            lease,
            every,
            last: None,
        }
    }

    /// Saves `progress` unless it says nothing new or the last save was less
    /// than `every` ago. `false` once the store refuses it: the lease is
    /// gone, or the task left the stage (the heartbeat stops the attempt).
    /// A store error is logged and the next publication tries again.
    pub async fn publish(&mut self, progress: TaskProgress) -> bool {
        self.save(progress, true).await
    }

    /// Like `publish`, without waiting for `every` since the last save: for
    /// a change a person must see (an upload starts or stops waiting, Druid
    /// reached its verdict).
    pub async fn publish_now(&mut self, progress: TaskProgress) -> bool {
        self.save(progress, false).await
    }

    async fn save(&mut self, progress: TaskProgress, throttled: bool) -> bool {
        if let Some((last, at)) = &self.last {
            if last.same_as(&progress) || throttled && at.elapsed() < self.every {
                return true;
            }
        }
        match self
            .tasks
            .save_progress(self.id, &self.lease, &progress)
            .await
        {
            Ok(true) => {
                self.last = Some((progress, Instant::now()));
                true
            }
            Ok(false) => {
                debug!("progress not saved: the task left the stage or the lease is gone");
                false
            }
            Err(error) => {
                warn!(%error, "could not save the task's progress");
                true
            }
        }
    }
}

/// Publishes a running validation's counters every `publisher.every` until
/// aborted (the caller holds the handle for as long as the validation runs)
/// or the store refuses a save.
pub(crate) fn publish_validation(
    mut publisher: Publisher,
    control: Control,
    format: FileFormat,
) -> tokio::task::JoinHandle<()> {
    // XLSX and Parquet count rows only (see `ingest_validation::Progress`).
    let counts_bytes = matches!(format, FileFormat::Csv | FileFormat::Ndjson);
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(publisher.every).await;
            let now = control.progress();
            let pass = match now.pass {
                Pass::Profiling => ValidationPass::Profiling,
                Pass::Writing => ValidationPass::Writing,
                Pass::NotStarted | Pass::Done => continue,
            };
            let progress = TaskProgress::validation(
                pass,
                counts_bytes.then_some(now.bytes_read),
                now.bytes_total,
                now.rows,
                Utc::now(),
            );
            if !publisher.publish(progress).await {
                return;
            }
        }
    })
}
