//! How far a task's running stage has got, as its worker last published it.
//!
//! Kept apart from the task's body (its own column in the store), so a
//! worker can publish it every second without rewriting the task, fenced by
//! its lease like every other write; many servers share one store, so this is
//! what every one of them shows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{StageName, TaskStatus};

/// Which read of the file a validation is in: it reads the file twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ValidationPass {
    /// First read: learning types and the time column.
    Profiling,
    /// Second read: writing the accepted rows.
    Writing,
}

/// Progress within the running stage (`validation` or `ingestion`). Counts
/// are of the current pass during validation (they start again at 0 for the
/// second read); `percent` covers the whole stage and never goes back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TaskProgress {
    /// The stage this is the progress of.
    pub stage: StageName,
    /// Validation only: which read of the file.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pass: Option<ValidationPass>,
    /// Validation of a text format (CSV, NDJSON): bytes of the stored file
    /// read in this pass (compressed bytes for a compressed file); `null`
    /// for XLSX and Parquet, which count rows only.
    pub bytes_read: Option<u64>,
    /// The stored file's size.
    pub bytes_total: Option<u64>,
    /// Rows read in this pass (validation) or processed by Druid so far
    /// (ingestion; `null` while Druid reports none).
    pub rows: Option<u64>,
    /// Ingestion: the rows validation accepted, which Druid should process.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows_total: Option<u64>,
    /// 0–100 over the whole stage, when it can be computed (validation:
    /// the first read is the first half).
    pub percent: Option<f64>,
    /// Ingestion into Druid: Druid's own phase (`DETERMINE_PARTITIONS`,
    /// `BUILD_SEGMENTS`, `COMPLETED`), when its live report has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// When the worker published it.
    pub updated_at: DateTime<Utc>,
    /// Ingestion into Druid: what the upload waits for before Druid is
    /// asked to run it (`null` once it runs). Without it, a queued upload
    /// would look as if it were ingesting.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<IngestionWait>,
}

/// Why an upload has not reached Druid yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum WaitReason {
    /// This server runs at most `INGEST_DRUID_MAX_CONCURRENT_TASKS` Druid
    /// tasks at once, and all of them are taken.
    DruidTaskSlot,
    /// Another upload to the same datasource is in Druid (a replace runs
    /// alone; appends wait for it, and it for them).
    Datasource,
}

/// What an upload waits for before Druid runs it, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IngestionWait {
    pub reason: WaitReason,
    /// `druid_task_slot`: uploads of this server waiting before this one
    /// (first come, first served).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ahead: Option<u32>,
    /// `druid_task_slot`: this server's cap on running Druid tasks.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u32>,
    /// The sentence to show, e.g. "waiting for a Druid task slot (2 ahead;
    /// this server runs at most 2 Druid tasks at once)".
    pub message: String,
}

impl IngestionWait {
    /// Waiting for one of this server's `limit` Druid task slots.
    pub fn druid_task_slot(ahead: u32, limit: u32) -> Self {
        let tasks = if limit == 1 { "task" } else { "tasks" };
        Self {
            reason: WaitReason::DruidTaskSlot,
            ahead: Some(ahead),
            limit: Some(limit),
            message: format!(
                "waiting for a Druid task slot ({ahead} ahead; this server runs at most {limit} Druid {tasks} at once)"
            ),
        }
    }

    /// Waiting for another upload to `datasource` to end in Druid.
    pub fn datasource(datasource: &str) -> Self {
        Self {
            reason: WaitReason::Datasource,
            ahead: None,
            limit: None,
            message: format!("waiting for another upload to {datasource} to finish in Druid"),
        }
    }
}

impl TaskProgress {
    /// Progress of a validation in `pass`. `bytes_read` is `None` when the
    /// format counts rows only; bytes read past the size (a re-read of the
    /// head) are shown as the size.
    pub fn validation(
        pass: ValidationPass,
        bytes_read: Option<u64>,
        bytes_total: u64,
        rows: u64,
        now: DateTime<Utc>,
    ) -> Self {
        let bytes_read = bytes_read.map(|read| read.min(bytes_total));
        let percent = bytes_read.filter(|_| bytes_total > 0).map(|read| {
            let within = read as f64 / bytes_total as f64 * 50.0;
            match pass {
                ValidationPass::Profiling => within,
                ValidationPass::Writing => 50.0 + within,
            }
        });
        Self {
            stage: StageName::Validation,
            pass: Some(pass),
            bytes_read,
            bytes_total: Some(bytes_total),
            rows: Some(rows),
            rows_total: None,
            percent: percent.map(round_tenth),
            phase: None,
            updated_at: now,
            waiting: None,
        }
    }

    /// An ingestion that waits before Druid runs it (`wait`), of
    /// `rows_total` accepted rows.
    pub fn ingestion_waiting(wait: IngestionWait, rows_total: u64, now: DateTime<Utc>) -> Self {
        Self {
            waiting: Some(wait),
            ..Self::ingestion(None, rows_total, None, now)
        }
    }

    /// Progress of an ingestion: `rows` Druid processed so far of
    /// `rows_total` accepted rows.
    pub fn ingestion(
        rows: Option<u64>,
        rows_total: u64,
        phase: Option<String>,
        now: DateTime<Utc>,
    ) -> Self {
        let percent = rows
            .filter(|_| rows_total > 0)
            .map(|rows| round_tenth((rows.min(rows_total) as f64 / rows_total as f64) * 100.0));
        Self {
            stage: StageName::Ingestion,
            pass: None,
            bytes_read: None,
            bytes_total: None,
            rows,
            rows_total: Some(rows_total),
            percent,
            phase,
            updated_at: now,
            waiting: None,
        }
    }

    /// The status a task is in while this stage runs: progress is only
    /// saved, and only shown, while the task is in it.
    pub fn status(&self) -> TaskStatus {
        match self.stage {
            StageName::Ingestion => TaskStatus::Ingesting,
            _ => TaskStatus::Validating,
        }
    }

    /// Whether it is the same progress apart from when it was published
    /// (nothing new to save).
    pub fn same_as(&self, other: &Self) -> bool {
        Self {
            updated_at: other.updated_at,
            ..self.clone()
        } == *other
    }
}

fn round_tenth(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_percent_spans_both_reads_and_caps_bytes_at_the_size() {
        let now = Utc::now();
        let first = TaskProgress::validation(ValidationPass::Profiling, Some(50), 200, 10, now);
        assert_eq!(first.percent, Some(12.5));
        let second = TaskProgress::validation(ValidationPass::Writing, Some(300), 200, 10, now);
        assert_eq!(second.bytes_read, Some(200));
        assert_eq!(second.percent, Some(100.0));
        let rows_only = TaskProgress::validation(ValidationPass::Writing, None, 200, 10, now);
        assert_eq!(rows_only.percent, None);
        assert_eq!(rows_only.status(), TaskStatus::Validating);
    }

    #[test]
    fn ingestion_percent_is_of_the_accepted_rows() {
        let now = Utc::now();
        let p = TaskProgress::ingestion(Some(250), 1_000, None, now);
        assert_eq!(p.percent, Some(25.0));
        assert_eq!(p.status(), TaskStatus::Ingesting);
        assert_eq!(
            TaskProgress::ingestion(None, 1_000, None, now).percent,
            None
        );
        assert!(p.same_as(&TaskProgress::ingestion(
            Some(250),
            1_000,
            None,
            now + chrono::Duration::seconds(1)
        )));
    }

    #[test]
    fn a_waiting_ingestion_says_what_it_waits_for_and_is_not_the_same_as_running() {
        let now = Utc::now();
        let slot = TaskProgress::ingestion_waiting(IngestionWait::druid_task_slot(2, 1), 80, now);
        assert_eq!(slot.status(), TaskStatus::Ingesting);
        let wait = slot.waiting.as_ref().expect("waiting");
        assert_eq!(
            wait.message,
            "waiting for a Druid task slot (2 ahead; this server runs at most 1 Druid task at once)"
        );
        let json = serde_json::to_value(&slot).expect("json");
        assert_eq!(json["waiting"]["reason"], "druid_task_slot");
        assert_eq!(json["waiting"]["ahead"], 2);
        assert!(!slot.same_as(&TaskProgress::ingestion(None, 80, None, now)));
        let turn = IngestionWait::datasource("sales");
        assert_eq!(turn.reason, WaitReason::Datasource);
        assert!(turn.message.contains("sales"), "{}", turn.message);
    }
}
