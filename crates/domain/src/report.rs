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
    /// `","` when the column's numbers were written with a decimal comma
    /// (European spreadsheets); absent for the usual decimal point.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decimal_separator: Option<String>,
    /// The thousands separator those numbers used (`"."` or `" "`), if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thousands_separator: Option<String>,
    /// One line saying why the column has its type, e.g. "4,468 of 4,468
    /// values parse as integers" or "3 values keep leading zeros (e.g.
    /// \"007\") → string"; absent in reports made before reasons existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub type_reason: Option<String>,
    /// Distinct estimate, null ratio, top values or histogram: what the
    /// dashboard charts. Only in a single task's status, never in the list.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<crate::ColumnStats>,
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

/// Why a text file's bytes were read in the encoding they were.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum EncodingSource {
    /// The uploader named it in the `encoding` field.
    Field,
    /// The file starts with a byte order mark.
    Bom,
    /// The bytes read are valid UTF-8 (ASCII included).
    Utf8,
    /// Guessed from the content by the detector.
    Detected,
}

/// The character encoding a text file (CSV, NDJSON) was read in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TextEncoding {
    /// WHATWG name, e.g. `UTF-8`, `UTF-16LE`, `windows-1252`.
    pub name: String,
    pub source: EncodingSource,
    /// How sure the choice is, 0 to 100: 100 when named, marked by a byte
    /// order mark or valid UTF-8; for a detected encoding, the share of the
    /// detector's regional priors that read the text the same way (a
    /// detection below 67 fails as `ambiguous_encoding` instead).
    pub confidence: u8,
    /// One line saying why, e.g. "the file starts with a UTF-16LE byte order mark".
    pub reason: String,
}

/// A compressed text file, decompressed while it was read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Compression {
    /// `gzip` or `zstd`.
    pub codec: String,
    pub compressed_bytes: u64,
    /// Bytes after decompression (as far as the file was read).
    pub uncompressed_bytes: u64,
}

/// One sheet of a workbook, as its XML declares it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Sheet {
    pub name: String,
    /// Rows and columns of the sheet's declared used range (0 when empty).
    pub rows: u64,
    pub columns: u64,
    /// Whether this is the sheet that was read.
    pub chosen: bool,
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
    /// How a text file's bytes were decoded; absent for XLSX and Parquet.
    #[serde(default)]
    pub encoding: Option<TextEncoding>,
    /// Set when the file was gzip- or zstd-compressed.
    #[serde(default)]
    pub compression: Option<Compression>,
    /// XLSX: every sheet of the workbook, the one read marked `chosen`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sheets: Vec<Sheet>,
}

impl ValidationReport {
    pub fn has_errors(&self) -> bool {
        self.problems.iter().any(|p| p.severity == Severity::Error)
    }

    pub fn first_error(&self) -> Option<&Problem> {
        self.problems.iter().find(|p| p.severity == Severity::Error)
    }
}
