//! Every Prometheus metric the service exports: its name, its help text, and
//! one function per event, so the code it measures makes a one-line call.
//!
//! Calls go to the process's global `metrics` recorder (the API installs a
//! Prometheus one and renders it at `GET /metrics`); without a recorder they
//! cost nothing. Label values come from short fixed sets (outcomes, statuses,
//! stage names, error codes), never from user input such as datasource names.
//! The figures computed at scrape time (queue depth, oldest queued task,
//! live workers) are set by `set_queue` and `set_live_workers`.

use ::metrics::{counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram};
use ingest_domain::{StageName, Task, TaskStatus};

/// `{outcome}`: `accepted` (202), `repeated` (the same `Idempotency-Key`
/// again: the original task, nothing kept) or `rejected` (any error).
pub const UPLOADS: &str = "ingest_uploads_total";
/// `{outcome}` as for `UPLOADS`: bytes received in full before the answer.
pub const UPLOAD_BYTES: &str = "ingest_upload_bytes_total";
/// `{status, code}`: tasks that ended; `code` is the error code of a failed
/// task, empty otherwise.
pub const TASKS_FINISHED: &str = "ingest_tasks_finished_total";
/// `{stage}`: `upload`, `queued`, `validation`, `ingestion`.
pub const STAGE_SECONDS: &str = "ingest_stage_duration_seconds";
pub const QUEUE_DEPTH: &str = "ingest_queue_depth";
pub const OLDEST_QUEUED_SECONDS: &str = "ingest_oldest_queued_age_seconds";
pub const LEASE_LOSSES: &str = "ingest_lease_losses_total";
/// `{call, outcome}`: `outcome` is `ok` or `error`.
pub const DRUID_CALLS: &str = "ingest_druid_calls_total";
pub const LIVE_WORKERS: &str = "ingest_live_workers";
/// `{kind}`: what the reaper removed (e.g. `multipart_upload`, `temp_file`).
pub const REAPER_REMOVED: &str = "ingest_reaper_removed_total";

/// Histogram buckets of `STAGE_SECONDS`, in seconds: from a small file's
/// validation to an hour-long Druid task.
pub const STAGE_BUCKETS: &[f64] = &[
    0.005, 0.025, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

/// Gives every metric its help text (and unit, through the name's suffix).
/// Call once, after the recorder is installed.
pub fn describe() {
    describe_counter!(
        UPLOADS,
        "Uploads answered, by outcome: accepted, repeated (same Idempotency-Key), rejected."
    );
    describe_counter!(
        UPLOAD_BYTES,
        "Bytes of uploads received in full, by outcome."
    );
    describe_counter!(
        TASKS_FINISHED,
        "Tasks that ended, by status (succeeded, failed, cancelled) and error code (empty unless failed)."
    );
    describe_histogram!(
        STAGE_SECONDS,
        "Time tasks spent in each stage: upload, queued (waiting for a worker), validation, ingestion."
    );
    describe_gauge!(
        QUEUE_DEPTH,
        "Tasks waiting for a worker (status queued), counted in the task store at scrape time."
    );
    describe_gauge!(
        OLDEST_QUEUED_SECONDS,
        "Age of the oldest queued task at scrape time (0 when none waits)."
    );
    describe_counter!(
        LEASE_LOSSES,
        "Attempts stopped because their lease no longer held (cancelled, queued again, taken over, or renewals failing until it expired)."
    );
    describe_counter!(
        DRUID_CALLS,
        "Calls to Druid, by call (while ingesting: sample, submit, status, shutdown, load_status, sql; the datasource pages' reads: sql; deleting a datasource: mark_unused, kill) and outcome (ok, error)."
    );
    describe_gauge!(
        LIVE_WORKERS,
        "Workers of this process whose loop is running."
    );
    describe_counter!(REAPER_REMOVED, "Orphans the reaper removed, by kind.");
}

/// An upload answered `202`: its bytes and how long it took to arrive.
pub fn upload_accepted(task: &Task) {
    upload_answered("accepted", task.size_bytes);
    if let Some(seconds) = closed_stage_seconds(task, StageName::Upload) {
        histogram!(STAGE_SECONDS, "stage" => "upload").record(seconds);
    }
}

/// An upload answered with its original task (same `Idempotency-Key`).
pub fn upload_repeated(bytes: u64) {
    upload_answered("repeated", bytes);
}

/// An upload refused; `bytes` is what had been stored before the refusal.
pub fn upload_rejected(bytes: u64) {
    upload_answered("rejected", bytes);
}

fn upload_answered(outcome: &'static str, bytes: u64) {
    counter!(UPLOADS, "outcome" => outcome).increment(1);
    counter!(UPLOAD_BYTES, "outcome" => outcome).increment(bytes);
}

/// A worker saved `task` (under its lease). Records the stage this save
/// closed, when it is the one the new status follows from (a takeover
/// closes the crashed attempt's stage at takeover time: not a real
/// duration), and the end of the task when it is terminal.
pub fn task_saved(task: &Task) {
    let closed = match task.status() {
        TaskStatus::Validating => Some(StageName::Queued),
        TaskStatus::Ingesting => Some(StageName::Validation),
        TaskStatus::Succeeded => Some(StageName::Ingestion),
        TaskStatus::Failed => task.stages.iter().rev().find_map(|s| {
            matches!(s.name, StageName::Validation | StageName::Ingestion).then_some(s.name)
        }),
        _ => None,
    };
    if let Some(stage) = closed.filter(|stage| closed_by_last_change(task, *stage)) {
        if let Some(seconds) = closed_stage_seconds(task, stage) {
            histogram!(STAGE_SECONDS, "stage" => stage_label(stage)).record(seconds);
        }
    }
    task_finished(task);
}

/// Counts `task` as ended if it is terminal (status and error code).
pub fn task_finished(task: &Task) {
    let status = task.status();
    if !status.is_terminal() {
        return;
    }
    let code = match status {
        TaskStatus::Failed => task.error.as_ref().map(|e| e.code.clone()),
        _ => None,
    };
    counter!(TASKS_FINISHED, "status" => status.as_str(), "code" => code.unwrap_or_default())
        .increment(1);
}

/// An attempt stopped because its lease no longer held.
pub fn lease_lost() {
    counter!(LEASE_LOSSES).increment(1);
}

/// Counts a call to Druid by its outcome, passing its result on, so a call
/// site adds one line to its chain: `client.submit(..).await.druid_call("submit")`.
pub trait DruidCall: Sized {
    fn druid_call(self, call: &'static str) -> Self;
}

impl<T, E> DruidCall for Result<T, E> {
    fn druid_call(self, call: &'static str) -> Self {
        let outcome = if self.is_ok() { "ok" } else { "error" };
        counter!(DRUID_CALLS, "call" => call, "outcome" => outcome).increment(1);
        self
    }
}

/// The reaper removed `count` orphans of `kind` (a short fixed word such as
/// `stale_upload`, `orphan_object`, `normalized_object`, `work_dir`,
/// `staging_file`), as the reaper counts them.
pub fn reaper_removed(kind: &'static str, count: u64) {
    counter!(REAPER_REMOVED, "kind" => kind).increment(count);
}

/// The queue as the task store has it now: tasks waiting and the age of the
/// oldest one.
pub fn set_queue(depth: u64, oldest_age_seconds: f64) {
    gauge!(QUEUE_DEPTH).set(depth as f64);
    gauge!(OLDEST_QUEUED_SECONDS).set(oldest_age_seconds.max(0.0));
}

pub fn set_live_workers(live: usize) {
    gauge!(LIVE_WORKERS).set(live as f64);
}

fn stage_label(stage: StageName) -> &'static str {
    match stage {
        StageName::Upload => "upload",
        StageName::Queued => "queued",
        StageName::Validation => "validation",
        StageName::Confirmation => "confirmation",
        StageName::Ingestion => "ingestion",
    }
}

/// Whether the last closed stage is `stage` and closed at the task's last
/// change (so by the transition just saved, not earlier).
fn closed_by_last_change(task: &Task, stage: StageName) -> bool {
    task.stages
        .iter()
        .rev()
        .find(|s| s.finished_at.is_some())
        .is_some_and(|s| s.name == stage && s.finished_at == Some(task.updated_at))
}

/// The duration of the last closed `stage`, in seconds.
fn closed_stage_seconds(task: &Task, stage: StageName) -> Option<f64> {
    task.stages
        .iter()
        .rev()
        .find(|s| s.name == stage && s.finished_at.is_some())
        .and_then(|s| s.duration_ms)
        .map(|ms| ms.max(0) as f64 / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, Utc};
    use ingest_domain::{DatasourceName, FileFormat, IngestMode, StoredUpload, TaskId};

    fn queued() -> Task {
        let now = Utc::now();
        let upload = StoredUpload {
            task_id: TaskId::new(),
            datasource: DatasourceName::parse("m").expect("name"),
            file_name: "f.csv".into(),
            object_key: "k".into(),
            size_bytes: 1,
            sha256: String::new(),
            format: FileFormat::Csv,
            mode: IngestMode::Append,
            timestamp_column: None,
        };
        Task::queued(upload, now - Duration::seconds(3), now)
    }

    #[test]
    fn each_transition_names_the_stage_it_closed() {
        let mut task = queued();
        assert_eq!(closed_stage_seconds(&task, StageName::Upload), Some(3.0));
        let start = task.updated_at + Duration::seconds(2);
        task.start_validation(start).expect("legal");
        assert!(closed_by_last_change(&task, StageName::Queued));
        assert_eq!(closed_stage_seconds(&task, StageName::Queued), Some(2.0));
        task.start_ingesting(start + Duration::milliseconds(1500))
            .expect("legal");
        assert!(closed_by_last_change(&task, StageName::Validation));
        assert_eq!(
            closed_stage_seconds(&task, StageName::Validation),
            Some(1.5)
        );
    }

    #[test]
    fn a_takeover_does_not_pass_a_crash_for_a_stage() {
        let mut task = queued();
        let now = task.updated_at;
        task.start_validation(now).expect("legal");
        // The worker died; another one takes the task over later.
        task.start_validation(now + Duration::seconds(60))
            .expect("legal");
        assert!(!closed_by_last_change(&task, StageName::Queued));
    }
}
