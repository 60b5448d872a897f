//! A server shutting down hands its tasks over instead of sitting on them
//! until their leases run out: each worker stops its attempt at a safe point
//! and gives the task back (queued, no lease, the attempt not counted), so
//! another server claims it at once.
//!
//! The safe points are decided by one gate per attempt, which either the
//! shutdown or the attempt's work closes first, never both:
//! - the shutdown closes it while the attempt validates, or ingests before
//!   the sink's commit point: the attempt's future is dropped (which also
//!   fires validation's cancel flag) and the task handed back;
//! - the work closes it at the commit point (`DruidProgress::commit`), and
//!   just before it starts work outside this process
//!   (`DruidProgress::external`, before a Druid task is submitted: a dropped
//!   future could only shut it down on a best-effort background call, and a
//!   handed-back task would then resubmit the same Druid task id and find it
//!   shut down): from then on the shutdown waits for the attempt, and if the process is stopped anyway, the lease runs out and
//!   the sinks' re-run guards take over.
//!
//! The store refuses to hand back a task whose stored copy passed its commit
//! point, so even a racing save cannot make a committed publish run twice.

use std::sync::atomic::{AtomicU8, Ordering};

use tokio_util::sync::CancellationToken;

const OPEN: u8 = 0;
const PASSED: u8 = 1;
const STOPPED: u8 = 2;

pub(crate) struct CommitGate(AtomicU8);

impl CommitGate {
    /// A gate for a claimed task; one already committed by an earlier
    /// attempt has passed it from the start.
    pub fn new(committed: bool) -> Self {
        Self(AtomicU8::new(if committed { PASSED } else { OPEN }))
    }

    /// The attempt goes past a point a shutdown must not interrupt. `false`
    /// when a shutdown already stopped it: the caller must not go on.
    pub fn pass(&self) -> bool {
        self.close(PASSED)
    }

    /// The shutdown stops the attempt; `false` when the attempt has passed
    /// the gate and must be let finish.
    fn stop(&self) -> bool {
        self.close(STOPPED)
    }

    fn close(&self, to: u8) -> bool {
        match self
            .0
            .compare_exchange(OPEN, to, Ordering::SeqCst, Ordering::SeqCst)
        {
            Ok(_) => true,
            Err(now) => now == to,
        }
    }
}

/// Resolves once the server shuts down and this attempt may be stopped;
/// never, for an attempt that passed its gate.
pub(crate) async fn stop_requested(shutdown: &CancellationToken, gate: &CommitGate) {
    shutdown.cancelled().await;
    if !gate.stop() {
        std::future::pending::<()>().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_to_close_the_gate_wins() {
        let gate = CommitGate::new(false);
        assert!(gate.stop());
        assert!(!gate.pass(), "a stopped attempt must not commit");
        assert!(gate.stop());

        let gate = CommitGate::new(false);
        assert!(gate.pass());
        assert!(gate.pass(), "passing again is fine (commit after progress)");
        assert!(!gate.stop(), "a committed attempt is never stopped");

        assert!(!CommitGate::new(true).stop());
    }
}
