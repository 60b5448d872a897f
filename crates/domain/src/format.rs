use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A value that is not one of the allowed words for a field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{value:?} is not a valid {field}; expected one of: {expected}")]
pub struct UnknownValue {
    pub field: &'static str,
    pub value: String,
    pub expected: &'static str,
}

/// The file formats we read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum FileFormat {
    Csv,
    Xlsx,
    Parquet,
    Ndjson,
}

impl FileFormat {
    pub const ALL: [FileFormat; 4] = [Self::Csv, Self::Xlsx, Self::Parquet, Self::Ndjson];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xlsx => "xlsx",
            Self::Parquet => "parquet",
            Self::Ndjson => "ndjson",
        }
    }

    /// The format a file name's extension suggests, if any.
    pub fn from_file_name(name: &str) -> Option<Self> {
        let ext = name.rsplit_once('.')?.1.to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "tsv" | "txt" | "psv" => Some(Self::Csv),
            "xlsx" | "xlsm" => Some(Self::Xlsx),
            "parquet" | "pq" => Some(Self::Parquet),
            "ndjson" | "jsonl" | "json" => Some(Self::Ndjson),
            _ => None,
        }
    }
}

impl FromStr for FileFormat {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" | "tsv" => Ok(Self::Csv),
            "xlsx" => Ok(Self::Xlsx),
            "parquet" => Ok(Self::Parquet),
            "ndjson" | "jsonl" | "json" => Ok(Self::Ndjson),
            _ => Err(UnknownValue {
                field: "format",
                value: s.to_owned(),
                expected: "csv, xlsx, parquet, ndjson",
            }),
        }
    }
}

impl fmt::Display for FileFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an upload adds to a datasource or replaces what the data covers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum IngestMode {
    #[default]
    Append,
    Replace,
}

impl IngestMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Append => "append",
            Self::Replace => "replace",
        }
    }
}

impl FromStr for IngestMode {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "append" => Ok(Self::Append),
            "replace" => Ok(Self::Replace),
            _ => Err(UnknownValue {
                field: "mode",
                value: s.to_owned(),
                expected: "append, replace",
            }),
        }
    }
}

impl fmt::Display for IngestMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
