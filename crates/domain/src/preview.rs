//! What an upload of a file would become, shown before it is uploaded
//! (`POST /api/ingest/preview`): nothing of it is stored.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{ColumnProfile, Compression, FileFormat, Problem, Sheet, TextEncoding, TimestampInfo};

/// Rows a preview shows, from the start of the file.
pub const PREVIEW_ROWS: usize = 50;

/// The preview of one file, read like an upload's first pass.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FilePreview {
    pub format: FileFormat,
    /// The CSV delimiter that was detected, when the file is CSV.
    pub delimiter: Option<String>,
    /// How a text file's bytes were decoded; absent for XLSX and Parquet.
    pub encoding: Option<TextEncoding>,
    /// Set when the file is gzip- or zstd-compressed (sizes as far as read).
    pub compression: Option<Compression>,
    /// XLSX: every sheet of the workbook, the one read marked `chosen`.
    pub sheets: Vec<Sheet>,
    /// Columns in file order, typed from the rows that were read.
    pub columns: Vec<ColumnProfile>,
    pub timestamp: TimestampInfo,
    /// The first rows (at most 50), as they would be ingested.
    pub rows: Vec<PreviewRow>,
    /// Data rows read from what was sent (header excluded).
    pub rows_read: u64,
    /// Only the start of the file was sent: types, problems and counts
    /// describe that start; its last, possibly cut, line was left out.
    pub truncated: bool,
    /// What is wrong so far; an `error` would fail the upload.
    pub problems: Vec<Problem>,
    /// Problems beyond the listed ones, counted but not itemised.
    pub problems_not_listed: u64,
}

/// One row of a preview.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PreviewRow {
    /// 1-based line (CSV/NDJSON) or sheet row (XLSX) where the row starts.
    pub line: u64,
    /// One value per column of `columns`, in that order, as it would be
    /// stored: numbers and booleans typed, the time column as the row's
    /// time (RFC 3339), `null` for an empty value or one that does not fit
    /// its column's type.
    pub values: Vec<serde_json::Value>,
    /// Columns whose value here does not fit the column's type (it would
    /// be stored as null).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mistyped: Vec<String>,
    /// Why the row would be rejected (its time is missing or unreadable,
    /// or it has another number of fields than the header); `null` for a
    /// row that would be ingested.
    pub rejected: Option<String>,
}
