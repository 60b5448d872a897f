//! Recognising times written the many ways real files write them.

use std::{
    collections::HashMap,
    sync::{Arc, OnceLock},
};

use chrono::{
    format::{Item, Parsed, StrftimeItems},
    DateTime, TimeZone, Utc,
};

/// A way of writing a time that we can read back exactly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TimeFormat {
    /// RFC 3339 / ISO 8601 with an offset or `Z`.
    Rfc3339,
    /// A chrono pattern for a date and time, read as UTC.
    DateTime(&'static str),
    /// A chrono pattern for a date alone, read as midnight UTC.
    Date(&'static str),
    EpochSeconds,
    EpochMillis,
    /// Typed times from Parquet or XLSX cells: nothing to parse.
    Native,
    /// The uploader's own strftime pattern (`timestamp_format`).
    Custom(Arc<UserPattern>),
}

/// A strftime pattern from the uploader, compiled once per validation.
#[derive(Debug)]
pub struct UserPattern {
    text: String,
    items: Vec<Item<'static>>,
}

impl PartialEq for UserPattern {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for UserPattern {}

/// Longest `timestamp_format` pattern accepted.
pub const MAX_PATTERN_LEN: usize = 100;

/// Patterns tried on text, most specific first. Ambiguous day/month orders
/// are both kept as candidates; the one that reads every value wins.
const TEXT_FORMATS: &[TimeFormat] = &[
    TimeFormat::Rfc3339,
    TimeFormat::DateTime("%Y-%m-%dT%H:%M:%S%.f"),
    TimeFormat::DateTime("%Y-%m-%d %H:%M:%S%.f"),
    TimeFormat::DateTime("%Y-%m-%dT%H:%M"),
    TimeFormat::DateTime("%Y-%m-%d %H:%M"),
    TimeFormat::Date("%Y-%m-%d"),
    TimeFormat::DateTime("%Y/%m/%d %H:%M:%S%.f"),
    TimeFormat::DateTime("%Y/%m/%d %H:%M"),
    TimeFormat::Date("%Y/%m/%d"),
    TimeFormat::DateTime("%m/%d/%Y %H:%M:%S%.f"),
    TimeFormat::DateTime("%m/%d/%Y %H:%M"),
    TimeFormat::Date("%m/%d/%Y"),
    TimeFormat::DateTime("%d/%m/%Y %H:%M:%S%.f"),
    TimeFormat::DateTime("%d/%m/%Y %H:%M"),
    TimeFormat::Date("%d/%m/%Y"),
    TimeFormat::DateTime("%d.%m.%Y %H:%M:%S%.f"),
    TimeFormat::DateTime("%d.%m.%Y %H:%M"),
    TimeFormat::Date("%d.%m.%Y"),
    TimeFormat::DateTime("%b %d %Y %H:%M:%S%.f"),
    TimeFormat::DateTime("%b %d %Y %H:%M"),
    TimeFormat::Date("%b %d %Y"),
    TimeFormat::Date("%b %d, %Y"),
    TimeFormat::Date("%B %d %Y"),
    TimeFormat::Date("%B %d, %Y"),
    TimeFormat::Date("%d %b %Y"),
    TimeFormat::Date("%d %B %Y"),
    TimeFormat::DateTime("%d-%b-%Y %H:%M:%S%.f"),
    TimeFormat::Date("%d-%b-%Y"),
];

/// The patterns, compiled once: chrono otherwise re-reads a pattern for
/// every cell, which was a third of validation time.
fn compiled(pattern: &str) -> Option<&'static [Item<'static>]> {
    static COMPILED: OnceLock<HashMap<&'static str, Vec<Item<'static>>>> = OnceLock::new();
    let table = COMPILED.get_or_init(|| {
        TEXT_FORMATS
            .iter()
            .filter_map(|format| match format {
                TimeFormat::DateTime(p) | TimeFormat::Date(p) => Some(*p),
                _ => None,
            })
            .filter_map(|p| StrftimeItems::new(p).parse().ok().map(|items| (p, items)))
            .collect()
    });
    table.get(pattern).map(Vec::as_slice)
}

fn parse_with(pattern: &str, text: &str) -> Option<Parsed> {
    let mut parsed = Parsed::new();
    chrono::format::parse(&mut parsed, text, compiled(pattern)?.iter()).ok()?;
    Some(parsed)
}

/// Epoch values outside 1990–2100 are more likely counters than times.
const EPOCH_SECONDS_RANGE: std::ops::RangeInclusive<i64> = 631_152_000..=4_102_444_800;
const EPOCH_MILLIS_RANGE: std::ops::RangeInclusive<i64> = 631_152_000_000..=4_102_444_800_000;

/// Row times we accept: years 0001 to 9999, which every Druid interval,
/// segment bucket and date arithmetic downstream (`ingest_druid::spec`) can
/// hold without overflow. chrono alone reads years up to ±262143.
pub const ACCEPTED_MILLIS: std::ops::RangeInclusive<i64> =
    -62_135_596_800_000..=253_402_300_799_999;

/// Whether a row time is in `ACCEPTED_MILLIS`.
pub fn in_range(millis: i64) -> bool {
    ACCEPTED_MILLIS.contains(&millis)
}

impl TimeFormat {
    /// Milliseconds since the epoch, if `text` is written this way and the
    /// time is in `ACCEPTED_MILLIS`.
    pub fn parse(&self, text: &str) -> Option<i64> {
        self.parse_any(text).filter(|t| in_range(*t))
    }

    /// Milliseconds since the epoch, if `text` is written this way, in or
    /// out of the accepted range (to say why a row was rejected).
    pub fn parse_any(&self, text: &str) -> Option<i64> {
        let text = crate::infer::trim_cell(text);
        self.parse_iso(text).or_else(|| self.parse_general(text))
    }

    /// `parse_any` of a trimmed text without the ISO shortcut: chrono for
    /// patterns, and the epoch and native forms.
    fn parse_general(&self, text: &str) -> Option<i64> {
        match self {
            Self::Rfc3339 => DateTime::parse_from_rfc3339(text)
                .ok()
                .map(|t| t.timestamp_millis()),
            Self::DateTime(pattern) => parse_with(pattern, text)?
                .to_naive_datetime_with_offset(0)
                .ok()
                .map(|t| t.and_utc().timestamp_millis()),
            Self::Date(pattern) => parse_with(pattern, text)?
                .to_naive_date()
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc().timestamp_millis()),
            Self::EpochSeconds => text
                .parse::<i64>()
                .ok()
                .filter(|v| EPOCH_SECONDS_RANGE.contains(v))
                .map(|v| v * 1000),
            Self::EpochMillis => text
                .parse::<i64>()
                .ok()
                .filter(|v| EPOCH_MILLIS_RANGE.contains(v)),
            Self::Native => None,
            Self::Custom(pattern) => {
                let mut parsed = Parsed::new();
                chrono::format::parse(&mut parsed, text, pattern.items.iter()).ok()?;
                parsed_millis(&parsed)
            }
        }
    }

    /// What chrono reads from `text` with this format, without chrono, for
    /// the ISO layouts files mostly have (`2024-03-01`, `2024-03-01
    /// 05:00:00`, `2024-03-01T05:00:00.250`) written in full, every field
    /// in range; `None` for anything else, which chrono then reads (a
    /// third of the first pass's time went to chrono on such columns).
    fn parse_iso(&self, text: &str) -> Option<i64> {
        let separator = match self {
            Self::Date("%Y-%m-%d") => None,
            Self::DateTime("%Y-%m-%d %H:%M:%S%.f") => Some(b' '),
            Self::DateTime("%Y-%m-%dT%H:%M:%S%.f") => Some(b'T'),
            _ => return None,
        };
        iso_millis(text.as_bytes(), separator)
    }

    /// The format an uploader named in `timestamp_format`: `rfc3339`,
    /// `epoch_seconds`, `epoch_millis`, or a chrono strftime pattern
    /// (<https://docs.rs/chrono/latest/chrono/format/strftime/>) that gives
    /// at least a date, e.g. `%d/%m/%Y %H:%M` or `%Y%m%d`. A pattern without
    /// an offset (`%z`) reads times as UTC; one without a time of day reads
    /// midnight. `Err` says what is wrong, for the uploader.
    pub fn from_user(text: &str) -> Result<Self, String> {
        let text = text.trim();
        match text.to_ascii_lowercase().as_str() {
            "rfc3339" | "iso8601" => return Ok(Self::Rfc3339),
            "epoch_seconds" | "posix" => return Ok(Self::EpochSeconds),
            "epoch_millis" => return Ok(Self::EpochMillis),
            _ => {}
        }
        let expected = "expected a strftime pattern such as %Y-%m-%d %H:%M:%S, or rfc3339, epoch_seconds, epoch_millis";
        if text.len() > MAX_PATTERN_LEN {
            return Err(format!(
                "timestamp_format is longer than {MAX_PATTERN_LEN} characters"
            ));
        }
        if !text.contains('%') {
            return Err(format!(
                "timestamp_format {text:?} has no % field; {expected}"
            ));
        }
        let items = StrftimeItems::new(text)
            .parse_to_owned()
            .map_err(|_| format!("timestamp_format {text:?} is not a valid pattern; {expected}"))?;
        // chrono skips a zone name when it reads one: "CET" would be UTC.
        if items
            .iter()
            .any(|i| matches!(i, Item::Fixed(chrono::format::Fixed::TimezoneName)))
        {
            return Err(format!(
                "timestamp_format {text:?} has a zone name (%Z), which cannot be read back; use a numeric offset (%z, e.g. +0100) or leave it out for UTC"
            ));
        }
        let format = Self::Custom(Arc::new(UserPattern {
            text: text.to_owned(),
            items,
        }));
        // The pattern must read back a date it writes: this refuses
        // patterns without a year, month and day, and fields chrono can
        // write but not read (`%Z`).
        let sample = Utc
            .with_ymd_and_hms(2024, 3, 15, 13, 45, 30)
            .single()
            .ok_or_else(|| "cannot check timestamp_format".to_owned())?;
        let Self::Custom(pattern) = &format else {
            unreachable!("just built")
        };
        let mut written = String::new();
        let wrote = std::fmt::Write::write_fmt(
            &mut written,
            format_args!("{}", sample.format_with_items(pattern.items.iter())),
        );
        let same_day = |millis: i64| {
            millis.div_euclid(86_400_000) == sample.timestamp_millis().div_euclid(86_400_000)
        };
        match wrote.ok().and_then(|()| format.parse_any(&written)) {
            Some(millis) if same_day(millis) => Ok(format),
            _ => Err(format!(
                "timestamp_format {text:?} does not give a full date that can be read back (it needs a year, month and day, e.g. %Y %m %d; use %z, not %Z, for offsets)"
            )),
        }
    }

    /// The epoch unit a whole-number column's range suggests.
    pub fn epoch_for_range(min: i64, max: i64) -> Option<Self> {
        if EPOCH_SECONDS_RANGE.contains(&min) && EPOCH_SECONDS_RANGE.contains(&max) {
            Some(Self::EpochSeconds)
        } else if EPOCH_MILLIS_RANGE.contains(&min) && EPOCH_MILLIS_RANGE.contains(&max) {
            Some(Self::EpochMillis)
        } else {
            None
        }
    }

    /// Every text format that reads `text`.
    pub fn candidates_for(text: &str) -> Vec<TimeFormat> {
        TEXT_FORMATS
            .iter()
            .filter(|format| format.parse(text).is_some())
            .cloned()
            .collect()
    }

    /// How the report names this format.
    pub fn describe(&self) -> String {
        match self {
            Self::Rfc3339 => "rfc3339".into(),
            Self::DateTime(p) | Self::Date(p) => (*p).into(),
            Self::Custom(p) => p.text.clone(),
            Self::EpochSeconds => "epoch_seconds".into(),
            Self::EpochMillis => "epoch_millis".into(),
            Self::Native => "native".into(),
        }
    }
}

/// `YYYY-MM-DD`, then with `separator` `HH:MM:SS` and an optional `.`
/// and 1 to 9 digits, as milliseconds since the epoch (UTC), or `None`
/// when `text` is not exactly that with a real date, hour, minute and
/// second (no leap second: chrono reads those).
fn iso_millis(text: &[u8], separator: Option<u8>) -> Option<i64> {
    fn digits(bytes: &[u8]) -> Option<i64> {
        bytes.iter().try_fold(0i64, |n, b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        })
    }
    let (date, rest) = text.split_at_checked(10)?;
    let [y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1] = *date else {
        return None;
    };
    let (year, month, day) = (
        digits(&[y0, y1, y2, y3])?,
        digits(&[m0, m1])?,
        digits(&[d0, d1])?,
    );
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    let mut millis = days_from_civil(year, month, day) * 86_400_000;
    let Some(separator) = separator else {
        return rest.is_empty().then_some(millis);
    };
    let (time, fraction) = rest.split_at_checked(9)?;
    let [s, h0, h1, b':', i0, i1, b':', s0, s1] = *time else {
        return None;
    };
    let (hour, minute, second) = (digits(&[h0, h1])?, digits(&[i0, i1])?, digits(&[s0, s1])?);
    if s != separator || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    millis += ((hour * 60 + minute) * 60 + second) * 1000;
    match fraction {
        [] => Some(millis),
        [b'.', decimals @ ..] if (1..=9).contains(&decimals.len()) => {
            digits(decimals)?;
            // Nanoseconds, truncated to milliseconds: the first three.
            let mut first = [b'0'; 3];
            let n = decimals.len().min(3);
            first[..n].copy_from_slice(&decimals[..n]);
            Some(millis + digits(&first)?)
        }
        _ => None,
    }
}

fn days_in_month(year: i64, month: i64) -> i64 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (H. Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let shifted_month = (month + 9) % 12;
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Milliseconds for what a pattern read: with its offset when it has one,
/// else as UTC; a date alone is midnight.
fn parsed_millis(parsed: &Parsed) -> Option<i64> {
    if parsed.offset().is_some() {
        return parsed.to_datetime().ok().map(|t| t.timestamp_millis());
    }
    if let Ok(t) = parsed.to_naive_datetime_with_offset(0) {
        return Some(t.and_utc().timestamp_millis());
    }
    let midnight = parsed.to_naive_date().ok()?.and_hms_opt(0, 0, 0)?;
    Some(midnight.and_utc().timestamp_millis())
}

pub fn millis_to_utc(millis: i64) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp_millis(millis)
}

/// How much a column's name suggests it holds the row time (0 = not at all).
pub fn name_score(name: &str) -> u8 {
    let lower = name.trim().to_lowercase();
    const EXACT: &[&str] = &[
        "__time",
        "timestamp",
        "time",
        "datetime",
        "date",
        "ts",
        "event_time",
        "event_timestamp",
        "created_at",
        "created",
        "occurred_at",
        "eventtime",
    ];
    if lower == "__time" {
        3
    } else if EXACT.contains(&lower.as_str()) {
        2
    } else if lower.contains("time")
        || lower.contains("date")
        || lower.ends_with("_at")
        || lower.ends_with("_ts")
    {
        1
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_date_times_read_as_chrono_reads_them() {
        let mut texts = vec![
            "2024-02-29 23:59:59".to_owned(),
            "2023-02-29 12:00:00".to_owned(),
            "2024-13-01 00:00:00".to_owned(),
            "2024-00-10 00:00:00".to_owned(),
            "2024-01-00 00:00:00".to_owned(),
            "2024-04-31 00:00:00".to_owned(),
            "2024-01-01 24:00:00".to_owned(),
            "2024-01-01 23:60:00".to_owned(),
            "2024-01-01 23:59:60".to_owned(),
            "0000-01-01 00:00:00".to_owned(),
            "9999-12-31 23:59:59".to_owned(),
            "1969-12-31 23:59:59".to_owned(),
            "2024-01-01T10:11:12".to_owned(),
            "2024-01-01 10:11:1x".to_owned(),
            "2024-01-01 10:11:12.5".to_owned(),
            "2024-1-01 10:11:12Z".to_owned(),
            "+024-01-01 10:11:12".to_owned(),
            "2024-01-01  0:11:12".to_owned(),
        ];
        for i in 0..2_000u32 {
            let (y, m, d) = (1600 + i * 7 % 900, 1 + i % 12, 1 + i * 13 % 31);
            let (h, mi, s) = (i % 24, i * 7 % 60, i * 11 % 60);
            texts.push(format!("{y:04}-{m:02}-{d:02} {h:02}:{mi:02}:{s:02}"));
            texts.push(format!("{y:04}-{m:02}-{d:02}T{h:02}:{mi:02}:{s:02}"));
        }
        let mut fast = 0;
        for pattern in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
            let format = TimeFormat::DateTime(pattern);
            for text in &texts {
                fast += usize::from(format.parse_iso(text).is_some());
                assert_eq!(
                    format.parse_any(text),
                    format.parse_general(text.trim()),
                    "{pattern} {text}"
                );
            }
        }
        assert!(fast > 3_000, "the fast path read {fast}");
    }

    fn at(text: &str) -> Option<i64> {
        TimeFormat::candidates_for(text)
            .first()
            .and_then(|f| f.parse(text))
    }

    #[test]
    fn reads_the_formats_real_files_use() {
        let jan_1_2000 = 946_684_800_000;
        assert_eq!(at("Jan 1 2000"), Some(jan_1_2000));
        assert_eq!(at("2000-01-01"), Some(jan_1_2000));
        assert_eq!(at("2010/01/01 00:00"), Some(1_262_304_000_000));
        assert_eq!(at("2013-01-01T10:00:00Z"), Some(1_357_034_400_000));
        assert_eq!(at("2013-01-01 10:00:00.250"), Some(1_357_034_400_250));
        assert_eq!(at("hello"), None);
        assert_eq!(at("12"), None);
    }

    #[test]
    fn times_outside_years_1_to_9999_are_not_read() {
        assert_eq!(at("+262142-01-01"), None);
        assert_eq!(at("9999-12-31T23:59:59.999Z"), Some(253_402_300_799_999));
        assert!(TimeFormat::Date("%Y-%m-%d")
            .parse_any("+262142-01-01")
            .is_some());
        assert_eq!(at("0000-12-31"), None);
    }

    #[test]
    fn iso_times_read_as_chrono_reads_them() {
        let formats = [
            TimeFormat::Date("%Y-%m-%d"),
            TimeFormat::DateTime("%Y-%m-%d %H:%M:%S%.f"),
            TimeFormat::DateTime("%Y-%m-%dT%H:%M:%S%.f"),
        ];
        let mut texts: Vec<String> = [
            "2024-02-29",
            "2023-02-29",
            "2000-02-29",
            "1900-02-29",
            "0000-02-29",
            "0000-01-01",
            "9999-12-31",
            "1969-12-31 23:59:59.999",
            "1970-01-01 00:00:00",
            "2024-04-31",
            "2024-13-01",
            "2024-00-10",
            "2024-01-00",
            "2024-1-01",
            "+2024-01-01",
            "2024-01-01 ",
            " 2024-01-01 10:00:00 ",
            "2024-01-01 24:00:00",
            "2024-01-01 23:60:00",
            "2024-01-01 23:59:60",
            "2024-06-30 23:59:60.5",
            "2024-01-01 10:00:00.",
            "2024-01-01 10:00:00.1",
            "2024-01-01 10:00:00.12",
            "2024-01-01 10:00:00.123456789",
            "2024-01-01 10:00:00.1234567891",
            "2024-01-01 10:00:00.12a",
            "2024-01-01T10:00:00",
            "2024-01-01T10:00:00.5",
            "2024-01-01 10:00",
            "2024-01-01 10:00:00Z",
            "2024-01-01x10:00:00",
            "2024-01-01 1:00:00",
            "2024-01-01 -1:00:00",
            "２０２４-01-01",
            "1582-10-10 12:00:00",
            "0001-01-01T00:00:00",
            "0000-12-31 23:59:59.999",
        ]
        .iter()
        .map(|t| (*t).to_owned())
        .collect();
        // Every day of a leap and a common year, at an odd time, and a
        // spread of years around the era boundaries.
        for year in [
            1600, 1700, 1899, 1970, 2023, 2024, 2100, 2400, 400, 401, 399, 1, 9999,
        ] {
            for month in 1..=12 {
                for day in [1, 15, 28, 29, 30, 31] {
                    texts.push(format!("{year:04}-{month:02}-{day:02}"));
                    texts.push(format!("{year:04}-{month:02}-{day:02} 13:07:59.042"));
                    texts.push(format!("{year:04}-{month:02}-{day:02}T00:00:01"));
                }
            }
        }
        let mut fast = 0;
        for format in &formats {
            for text in &texts {
                assert_eq!(
                    format.parse_any(text),
                    format.parse_general(text.trim()),
                    "{format:?} {text:?}"
                );
                fast += usize::from(format.parse_iso(text.trim()).is_some());
            }
        }
        assert!(fast > 1000, "the fast path read {fast}");
    }

    #[test]
    fn keeps_ambiguous_day_month_orders_as_candidates() {
        let both = TimeFormat::candidates_for("03/04/2020");
        assert!(both.contains(&TimeFormat::Date("%m/%d/%Y")));
        assert!(both.contains(&TimeFormat::Date("%d/%m/%Y")));
        let only_dmy = TimeFormat::candidates_for("25/04/2020");
        assert_eq!(only_dmy, vec![TimeFormat::Date("%d/%m/%Y")]);
    }

    #[test]
    fn reads_the_uploaders_own_patterns() {
        let format = |t: &str| TimeFormat::from_user(t).expect(t);
        let dmy = format("%d/%m/%Y %H:%M");
        assert_eq!(dmy.parse("03/04/2020 10:30"), Some(1_585_909_800_000));
        assert_eq!(dmy.parse("2020-04-03"), None);
        assert_eq!(dmy.describe(), "%d/%m/%Y %H:%M");
        // A date alone is midnight UTC; an offset is honoured.
        assert_eq!(format("%Y%m%d").parse("20000101"), Some(946_684_800_000));
        assert_eq!(
            format("%Y-%m-%d %H:%M %z").parse("2000-01-01 01:00 +0100"),
            Some(946_684_800_000)
        );
        assert_eq!(format("RFC3339"), TimeFormat::Rfc3339);
        assert_eq!(format("epoch_millis"), TimeFormat::EpochMillis);
        for bad in [
            "",
            "yyyy-MM-dd",
            "%H:%M",
            "%Y-%m",
            "%Y-%m-%d %Z",
            "%Q",
            &"%Y".repeat(60),
        ] {
            assert!(TimeFormat::from_user(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn epoch_ranges_are_plausible_times_only() {
        assert_eq!(
            TimeFormat::epoch_for_range(1_600_000_000, 1_700_000_000),
            Some(TimeFormat::EpochSeconds)
        );
        assert_eq!(
            TimeFormat::epoch_for_range(1_600_000_000_000, 1_700_000_000_000),
            Some(TimeFormat::EpochMillis)
        );
        assert_eq!(TimeFormat::epoch_for_range(1, 500), None);
    }
}
