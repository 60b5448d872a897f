//! Rows rejected one by one: why, how many a file may lose before it fails
//! instead, and where the rejected rows are kept for the uploader.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::TaskId;

/// Why one row was left out of the ingested data. Each kind is either
/// outside the budget (rejected however many there are, as rows without a
/// time always were) or counted against `RejectionBudget`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    /// The time column's value is empty or not a readable time.
    NoTime,
    /// The row's time lies outside the years 0001 to 9999.
    TimeOutOfRange,
    /// The row has more or fewer fields than the header.
    Ragged,
    /// The row holds bytes that are not valid in the file's encoding.
    Undecodable,
    /// A value does not fit the type the uploader chose for its column
    /// (`column_types`).
    TypeOverride,
}

impl RejectionKind {
    pub const ALL: [RejectionKind; 5] = [
        Self::NoTime,
        Self::TimeOutOfRange,
        Self::Ragged,
        Self::Undecodable,
        Self::TypeOverride,
    ];

    /// The problem code a rejection of this kind is reported under.
    pub fn code(self) -> &'static str {
        match self {
            Self::NoTime => "row_without_time",
            Self::TimeOutOfRange => "time_out_of_range",
            Self::Ragged => "ragged_row",
            Self::Undecodable => "undecodable_row",
            Self::TypeOverride => "value_breaks_column_type",
        }
    }

    /// Whether rows of this kind count against `RejectionBudget`: without
    /// a budget one such row fails the file (these are signs of a broken
    /// export, not of a few bad values).
    pub fn budgeted(self) -> bool {
        !matches!(self, Self::NoTime | Self::TimeOutOfRange)
    }
}

/// How many rows of the budgeted kinds (`RejectionKind::budgeted`) a file
/// may lose before it fails instead: the `max_rejected_rows` and
/// `max_rejected_ratio` upload fields. Each one given is a ceiling; neither
/// given means none may be lost.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RejectionBudget {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rows: Option<u64>,
    /// A share of the data rows, 0 to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ratio: Option<f64>,
}

impl RejectionBudget {
    /// Whether `rejected` budgeted rows out of `rows_in` are within it.
    pub fn allows(&self, rejected: u64, rows_in: u64) -> bool {
        if rejected == 0 {
            return true;
        }
        let by_rows = self.max_rows.is_none_or(|max| rejected <= max);
        let by_ratio = self
            .max_ratio
            .is_none_or(|max| rejected as f64 <= max * rows_in as f64);
        (self.max_rows.is_some() || self.max_ratio.is_some()) && by_rows && by_ratio
    }

    pub fn is_set(&self) -> bool {
        self.max_rows.is_some() || self.max_ratio.is_some()
    }

    /// The budget in words, for messages: "max_rejected_rows=10".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(rows) = self.max_rows {
            parts.push(format!("max_rejected_rows={rows}"));
        }
        if let Some(ratio) = self.max_ratio {
            parts.push(format!("max_rejected_ratio={ratio}"));
        }
        if parts.is_empty() {
            "no rejected rows allowed (max_rejected_rows unset)".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// A task's rejected rows, kept as a CSV object next to its upload
/// (`line,column,code,reason,record`) and served by
/// `GET /api/ingest/tasks/{task_id}/rejected`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RejectedRows {
    /// Rows in the file (its data lines, header excluded).
    pub rows: u64,
    /// Size of the CSV.
    pub bytes: u64,
}

/// Where a task's rejected rows are kept: beside its upload (so the reaper
/// keeps them while the task exists and removes them with it), in a folder
/// no uploaded file name can take (upload names never contain `/`).
pub fn rejected_rows_key(task: TaskId) -> String {
    format!("uploads/{task}/rejected/rejected-rows.csv")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn without_a_budget_no_budgeted_row_may_be_lost() {
        let none = RejectionBudget::default();
        assert!(none.allows(0, 10));
        assert!(!none.allows(1, 10));
    }

    #[test]
    fn each_ceiling_given_applies() {
        let rows = RejectionBudget {
            max_rows: Some(2),
            max_ratio: None,
        };
        assert!(rows.allows(2, 3) && !rows.allows(3, 1000));
        let ratio = RejectionBudget {
            max_rows: None,
            max_ratio: Some(0.1),
        };
        assert!(ratio.allows(10, 100) && !ratio.allows(11, 100));
        let both = RejectionBudget {
            max_rows: Some(5),
            max_ratio: Some(0.5),
        };
        assert!(both.allows(5, 10) && !both.allows(6, 100) && !both.allows(5, 9));
    }

    #[test]
    fn only_structural_kinds_are_budgeted() {
        assert!(!RejectionKind::NoTime.budgeted());
        assert!(!RejectionKind::TimeOutOfRange.budgeted());
        assert!(RejectionKind::Ragged.budgeted() && RejectionKind::Undecodable.budgeted());
        assert!(RejectionKind::TypeOverride.budgeted());
    }
}
