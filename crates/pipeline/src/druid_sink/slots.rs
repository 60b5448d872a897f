//! This server's cap on running Druid tasks
//! (`INGEST_DRUID_MAX_CONCURRENT_TASKS`): a task that runs subtasks holds a
//! worker slot while its subtasks wait for slots, so unbounded submissions
//! could fill every slot of Druid with tasks waiting for each other (the
//! slot deadlock; the sizing rule is in druid/README.md).

use ingest_druid::IngestionPlan;
use tokio::sync::{Semaphore, SemaphorePermit};
use tracing::info;

/// One permit per Druid task this server may have running, held from
/// submit to Druid's verdict.
pub(super) struct SubmissionSlots {
    permits: Semaphore,
    limit: usize,
}

impl SubmissionSlots {
    pub(super) fn new(limit: usize) -> Self {
        Self {
            permits: Semaphore::new(limit.max(1)),
            limit,
        }
    }

    /// Waits until this server may run one more Druid task.
    pub(super) async fn acquire(&self, plan: &IngestionPlan) -> SemaphorePermit<'_> {
        if let Ok(permit) = self.permits.try_acquire() {
            return permit;
        }
        info!(druid_task_id = %plan.druid_task_id, limit = self.limit, "waiting for one of this server's Druid tasks to end before submitting");
        // Never closed: the semaphore lives as long as the sink.
        self.permits
            .acquire()
            .await
            .expect("the submission semaphore is never closed")
    }
}
