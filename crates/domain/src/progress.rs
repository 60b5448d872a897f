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
}
