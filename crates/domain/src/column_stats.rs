//! The per-column statistics behind the dashboard's small charts, computed
//! in validation's first pass in bounded memory (see
//! `ingest_validation`'s `stats` module for the sketches).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A value and how often it appears.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ValueCount {
    /// The value as written (trimmed; cut at 200 characters, with `…`).
    pub value: String,
    /// Rows holding it: exact when `top_values_exact`, else an upper bound
    /// (the Space-Saving sketch over-counts by at most its `error`).
    pub count: u64,
}

/// One bar of a histogram: values `lower <= v < upper` (the last bar
/// includes its upper bound).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct HistogramBucket {
    pub lower: f64,
    pub upper: f64,
    pub count: u64,
}

/// What a column's values look like, for charts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColumnStats {
    /// Distinct non-null values: exact up to 1,024, then estimated
    /// (HyperLogLog with 4,096 registers, about 1.6 % standard error).
    pub distinct_estimate: u64,
    /// Share of the column's values that are null (empty, `NA`, `null`, …),
    /// 0 to 1.
    pub null_ratio: f64,
    /// String and boolean columns: the most frequent values, most frequent
    /// first (at most 10); once the column has more distinct values than
    /// the sketch has counters, only values surely seen twice or more.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub top_values: Vec<ValueCount>,
    /// Whether `top_values`' counts are exact (the column has few enough
    /// distinct values for the sketch to count them all); absent when not.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub top_values_exact: bool,
    /// Long and double columns: counts in equal-width bars between the
    /// smallest and largest value (at most 20 bars).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub histogram: Vec<HistogramBucket>,
}
