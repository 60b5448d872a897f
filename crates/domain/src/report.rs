use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::FileFormat;

/// The type a column was inferred to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ColumnType {
    Long,
    Double,
    Boolean,
    Timestamp,
    String,
}

impl ColumnType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Long => "long",
            Self::Double => "double",
            Self::Boolean => "boolean",
            Self::Timestamp => "timestamp",
            Self::String => "string",
        }
    }
}

/// What validation learned about one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ColumnProfile {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: ColumnType,
    pub null_count: u64,
    /// Smallest value, rendered as text (numbers, timestamps as RFC 3339, strings).
    pub min: Option<String>,
    pub max: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TimestampSource {
    /// Row times come from a column of the file.
    Column,
    /// The file has no usable time column: every row gets the upload time.
    UploadTime,
}

/// Where row times come from and the range they span.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimestampInfo {
    pub column: Option<String>,
    /// The chrono format (or `rfc3339`, `epoch_seconds`, `epoch_millis`) values were read with.
    pub format: Option<String>,
    pub min: Option<chrono::DateTime<chrono::Utc>>,
    pub max: Option<chrono::DateTime<chrono::Utc>>,
    pub source: TimestampSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The file cannot be ingested until this is fixed.
    Error,
    /// Ingestion goes on; rows may have been rejected and are counted.
    Warning,
}

/// One thing found wrong, located as precisely as we can.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Problem {
    pub severity: Severity,
    pub code: String,
    pub message: String,
    /// 1-based line (CSV/NDJSON) or row (XLSX, counting the header as 1).
    pub line: Option<u64>,
    pub column: Option<String>,
}

/// The full profile of a file, stored with its task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ValidationReport {
    pub format: FileFormat,
    /// The CSV delimiter that was detected, when the file is CSV.
    pub delimiter: Option<String>,
    /// Data rows read from the file (header excluded).
    pub rows_in: u64,
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    pub columns: Vec<ColumnProfile>,
    pub timestamp: TimestampInfo,
    pub problems: Vec<Problem>,
    /// Problems beyond the listed ones, counted but not itemised.
    #[serde(default)]
    pub problems_not_listed: u64,
}

impl ValidationReport {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    pub fn first_error(&self) -> Option<&Problem> {
        self.problems.iter().find(|p| p.severity == Severity::Error)
    }
}
