//! This server's cap on running Druid tasks
//! (`INGEST_DRUID_MAX_CONCURRENT_TASKS`): a task that runs subtasks holds a
//! worker slot while its subtasks wait for slots, so unbounded submissions
//! could fill every slot of Druid with tasks waiting for each other (the
//! slot deadlock; the sizing rule is in druid/README.md).
//!
//! An upload waiting here says so on its task (`IngestionWait`), with the
//! number of uploads ahead of it, so that it does not look as if Druid were
//! ingesting it.

use std::{
    collections::BTreeSet,
    sync::{
        atomic::{AtomicU64, Ordering},
        Mutex,
    },
    time::Duration,
};

use ingest_domain::IngestionWait;
use ingest_druid::IngestionPlan;
use tokio::sync::{Semaphore, SemaphorePermit};
use tracing::info;

use crate::sink::DruidProgress;

/// One permit per Druid task this server may have running, held from
/// submit to Druid's verdict.
pub(super) struct SubmissionSlots {
    permits: Semaphore,
    limit: usize,
    /// Tickets of the uploads waiting for a permit. Tokio's semaphore
    /// serves waiters first come, first served, so the tickets below one's
    /// own are the uploads ahead of it.
    waiting: Mutex<BTreeSet<u64>>,
    next_ticket: AtomicU64,
}

/// A place in the queue, left when dropped (admitted, or the attempt ended
/// while waiting).
struct Ticket<'a> {
    slots: &'a SubmissionSlots,
    number: u64,
}

impl Ticket<'_> {
    fn ahead(&self) -> u32 {
        let waiting = self.slots.waiting.lock().unwrap_or_else(|p| p.into_inner());
        u32::try_from(waiting.range(..self.number).count()).unwrap_or(u32::MAX)
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut waiting = self.slots.waiting.lock().unwrap_or_else(|p| p.into_inner());
        waiting.remove(&self.number);
    }
}

impl SubmissionSlots {
    pub(super) fn new(limit: usize) -> Self {
        Self {
            permits: Semaphore::new(limit.max(1)),
            limit: limit.max(1),
            waiting: Mutex::default(),
            next_ticket: AtomicU64::new(0),
        }
    }

    fn ticket(&self) -> Ticket<'_> {
        let number = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        let mut waiting = self.waiting.lock().unwrap_or_else(|p| p.into_inner());
        waiting.insert(number);
        Ticket {
            slots: self,
            number,
        }
    }

    /// Waits until this server may run one more Druid task. While it
    /// waits, the task's progress says so, and how many are ahead (looked
    /// at again every `every`); once admitted, that is cleared.
    pub(super) async fn acquire(
        &self,
        plan: &IngestionPlan,
        progress: &mut dyn DruidProgress,
        every: Duration,
    ) -> SemaphorePermit<'_> {
        if let Ok(permit) = self.permits.try_acquire() {
            return permit;
        }
        let ticket = self.ticket();
        info!(druid_task_id = %plan.druid_task_id, limit = self.limit, "waiting for one of this server's Druid tasks to end before submitting");
        let limit = u32::try_from(self.limit).unwrap_or(u32::MAX);
        let admitted = self.permits.acquire();
        tokio::pin!(admitted);
        let mut shown = None;
        let permit = loop {
            let ahead = ticket.ahead();
            if shown != Some(ahead) {
                progress
                    .waiting(Some(IngestionWait::druid_task_slot(ahead, limit)))
                    .await;
                shown = Some(ahead);
            }
            tokio::select! {
                // Never closed: the semaphore lives as long as the sink.
                permit = &mut admitted => break permit.expect("the submission semaphore is never closed"),
                () = tokio::time::sleep(every) => {}
            }
        };
        drop(ticket);
        progress.waiting(None).await;
        permit
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uploads_ahead_are_those_still_waiting_before_this_one() {
        let slots = SubmissionSlots::new(1);
        let first = slots.ticket();
        let second = slots.ticket();
        let third = slots.ticket();
        assert_eq!((first.ahead(), second.ahead(), third.ahead()), (0, 1, 2));
        drop(second); // its attempt ended while it waited
        assert_eq!(third.ahead(), 1);
        drop(first);
        assert_eq!(third.ahead(), 0);
    }
}
