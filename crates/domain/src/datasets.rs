use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::UnknownValue;

/// A column of an ingested datasource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DatasourceColumn {
    pub name: String,
    #[serde(rename = "type")]
    pub column_type: String,
}

/// What a datasource holds, as the sink reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DatasourceSummary {
    pub name: String,
    pub row_count: u64,
    pub min_time: Option<DateTime<Utc>>,
    pub max_time: Option<DateTime<Utc>>,
    pub columns: Vec<DatasourceColumn>,
}

/// Rows whose time falls in the bucket starting at `time`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimePoint {
    pub time: DateTime<Utc>,
    pub rows: u64,
}

/// Bucket width for time series.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Granularity {
    Minute,
    Hour,
    #[default]
    Day,
    Week,
    Month,
}

impl Granularity {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Minute => "minute",
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Week => "week",
            Self::Month => "month",
        }
    }

    /// Bucket width in milliseconds (a month counted as 30 days where a
    /// fixed width is needed).
    pub fn millis(self) -> i64 {
        const MINUTE: i64 = 60_000;
        match self {
            Self::Minute => MINUTE,
            Self::Hour => 60 * MINUTE,
            Self::Day => 24 * 60 * MINUTE,
            Self::Week => 7 * 24 * 60 * MINUTE,
            Self::Month => 30 * 24 * 60 * MINUTE,
        }
    }
}

impl std::str::FromStr for Granularity {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        [Self::Minute, Self::Hour, Self::Day, Self::Week, Self::Month]
            .into_iter()
            .find(|g| g.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| UnknownValue {
                field: "granularity",
                value: s.to_owned(),
                expected: "minute, hour, day, week, month",
            })
    }
}
