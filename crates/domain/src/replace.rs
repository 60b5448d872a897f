//! What `replace` means, once for both sinks: the rows of the datasource in
//! the time chunks the file covers, at the segment granularity its span
//! picks, give way to the file's rows; every row outside those chunks stays.

use chrono::{DateTime, Datelike, Duration, TimeZone, Timelike, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ValidationReport;

/// The size of a datasource's time chunks (Druid's segment granularity; the
/// local sink uses the same chunks for `replace`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum SegmentGranularity {
    Hour,
    Day,
    Month,
    Year,
}

impl SegmentGranularity {
    /// Few, reasonably sized segments: days up to a quarter, months up to a
    /// few years, years beyond. Never finer than a day, so that `replace`
    /// means "replace the days this file covers", whatever its span.
    pub fn for_span(min: DateTime<Utc>, max: DateTime<Utc>) -> Self {
        let span = max - min;
        if span <= Duration::days(92) {
            Self::Day
        } else if span <= Duration::days(5 * 366) {
            Self::Month
        } else {
            Self::Year
        }
    }

    /// The unit in words, for messages ("day").
    pub fn unit(self) -> &'static str {
        match self {
            Self::Hour => "hour",
            Self::Day => "day",
            Self::Month => "month",
            Self::Year => "year",
        }
    }

    /// Start of the segment-granularity bucket holding `t`.
    pub fn floor(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let (y, m, d, h) = (t.year(), t.month(), t.day(), t.hour());
        let at = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).single().unwrap_or(t);
        match self {
            Self::Hour => at(y, m, d, h),
            Self::Day => at(y, m, d, 0),
            Self::Month => at(y, m, 1, 0),
            Self::Year => at(y, 1, 1, 0),
        }
    }

    /// Start of the bucket after the one holding `t`. Validation keeps row
    /// times within years 1..=9999, but this must not panic whatever it is
    /// given: past chrono's last instant the end is that instant.
    pub fn next(self, t: DateTime<Utc>) -> DateTime<Utc> {
        let start = self.floor(t);
        let next = match self {
            Self::Hour => start.checked_add_signed(Duration::hours(1)),
            Self::Day => start.checked_add_signed(Duration::days(1)),
            Self::Month => {
                let (y, m) = if start.month() == 12 {
                    (start.year().checked_add(1), 1)
                } else {
                    (Some(start.year()), start.month() + 1)
                };
                y.and_then(|y| Utc.with_ymd_and_hms(y, m, 1, 0, 0, 0).single())
            }
            Self::Year => start
                .year()
                .checked_add(1)
                .and_then(|y| Utc.with_ymd_and_hms(y, 1, 1, 0, 0, 0).single()),
        };
        next.unwrap_or(DateTime::<Utc>::MAX_UTC)
    }
}

/// The chunks a replace overwrites: `[start, end)`, whole chunks of
/// `granularity` from the one holding the file's first row time to the one
/// holding its last. Every chunk in it is replaced, including chunks in
/// between where the file has no rows (Druid: `dropExisting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplaceWindow {
    pub granularity: SegmentGranularity,
    pub start: DateTime<Utc>,
    pub end: DateTime<Utc>,
}

impl ReplaceWindow {
    /// The window of a file whose row times run from `min` to `max`.
    pub fn covering(min: DateTime<Utc>, max: DateTime<Utc>) -> Self {
        let granularity = SegmentGranularity::for_span(min, max);
        Self {
            granularity,
            start: granularity.floor(min),
            end: granularity.next(max),
        }
    }

    /// The window of a validated file; `fallback` (the upload time) stands
    /// in when it has no row times, as it does for the rows themselves.
    pub fn of_report(report: &ValidationReport, fallback: DateTime<Utc>) -> Self {
        let min = report.timestamp.min.unwrap_or(fallback);
        Self::covering(min, report.timestamp.max.unwrap_or(min))
    }

    /// `start` and `end` as epoch milliseconds (the sinks' `__time`).
    pub fn millis(&self) -> (i64, i64) {
        (self.start.timestamp_millis(), self.end.timestamp_millis())
    }
}

/// What a replace will do to its datasource, computed after validation
/// from the sink's counts; shown to the person who must confirm it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReplaceEffect {
    pub window: ReplaceWindow,
    /// Rows of the datasource in the window now: the file's rows take
    /// their place.
    pub replaced_rows: u64,
    /// Rows of the datasource outside the window: they stay.
    pub kept_rows: u64,
    /// The effect in one sentence, e.g. "replaces 700 rows between
    /// 2024-01-01 00:00 UTC and 2024-01-08 00:00 UTC in `sales` (whole UTC
    /// days); 1701 rows outside stay".
    pub summary: String,
}

impl ReplaceEffect {
    /// `total` is the datasource's row count, `in_window` its rows in `window`.
    pub fn new(datasource: &str, window: ReplaceWindow, in_window: u64, total: u64) -> Self {
        let kept_rows = total.saturating_sub(in_window);
        let time = |t: DateTime<Utc>| t.format("%Y-%m-%d %H:%M UTC").to_string();
        let summary = format!(
            "replaces {in_window} rows between {} and {} in `{datasource}` (whole UTC {}s); {kept_rows} rows outside stay",
            time(window.start),
            time(window.end),
            window.granularity.unit(),
        );
        Self {
            window,
            replaced_rows: in_window,
            kept_rows,
            summary,
        }
    }

    /// Whether `other` drops exactly what this effect said it would (rows
    /// outside the window may come and go: they stay either way).
    pub fn drops_the_same(&self, other: &ReplaceEffect) -> bool {
        self.window == other.window && self.replaced_rows == other.replaced_rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2024, m, d, 13, 5, 0)
            .single()
            .expect("time")
    }

    #[test]
    fn granularity_follows_the_span() {
        use SegmentGranularity::*;
        assert_eq!(SegmentGranularity::for_span(t(1, 1), t(1, 1)), Day);
        assert_eq!(SegmentGranularity::for_span(t(1, 1), t(3, 31)), Day);
        assert_eq!(SegmentGranularity::for_span(t(1, 1), t(12, 31)), Month);
        assert_eq!(
            SegmentGranularity::for_span(DateTime::<Utc>::MIN_UTC, t(1, 1)),
            Year
        );
        assert_eq!(
            Month.next(t(12, 5)).to_rfc3339(),
            "2025-01-01T00:00:00+00:00"
        );
        let last = DateTime::<Utc>::MAX_UTC;
        for g in [Hour, Day, Month, Year] {
            assert!(
                g.next(last) >= g.floor(last),
                "{g:?} must not panic or wrap"
            );
        }
    }

    #[test]
    fn a_week_of_rows_replaces_whole_days() {
        let window = ReplaceWindow::covering(t(1, 1), t(1, 7));
        assert_eq!(window.granularity, SegmentGranularity::Day);
        assert_eq!(window.start.to_rfc3339(), "2024-01-01T00:00:00+00:00");
        assert_eq!(window.end.to_rfc3339(), "2024-01-08T00:00:00+00:00");
        let effect = ReplaceEffect::new("sales", window, 700, 2401);
        assert_eq!(effect.kept_rows, 1701);
        assert_eq!(
            effect.summary,
            "replaces 700 rows between 2024-01-01 00:00 UTC and 2024-01-08 00:00 UTC in `sales` (whole UTC days); 1701 rows outside stay"
        );
        assert!(effect.drops_the_same(&ReplaceEffect::new("sales", window, 700, 9000)));
        assert!(!effect.drops_the_same(&ReplaceEffect::new("sales", window, 701, 2401)));
    }
}
