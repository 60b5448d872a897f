//! What a column holds, learned one value at a time in constant memory.

use ingest_domain::ColumnType;

use crate::source::Cell;
use crate::timestamp::TimeFormat;

/// Texts that mean "no value" in the files people actually have.
pub fn is_null_text(text: &str) -> bool {
    const TOKENS: [&str; 7] = ["na", "n/a", "null", "none", "nan", "#n/a", "nil"];
    let t = text.trim();
    // Called for every cell: most values are longer than any token.
    t.is_empty() || (t.len() <= 4 && TOKENS.iter().any(|token| t.eq_ignore_ascii_case(token)))
}

fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("true") {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// A time format still in the running for a column, with its record.
#[derive(Debug, Clone)]
pub struct TimeCandidate {
    pub format: TimeFormat,
    pub parsed: u64,
    pub failed: u64,
    pub min: i64,
    pub max: i64,
}

impl TimeCandidate {
    fn new(format: TimeFormat) -> Self {
        Self {
            format,
            parsed: 0,
            failed: 0,
            min: i64::MAX,
            max: i64::MIN,
        }
    }

    fn record(&mut self, millis: Option<i64>) {
        match millis {
            Some(t) => {
                self.parsed += 1;
                self.min = self.min.min(t);
                self.max = self.max.max(t);
            }
            None => self.failed += 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ColumnState {
    pub nulls: u64,
    pub values: u64,
    could_be_bool: bool,
    could_be_long: bool,
    could_be_double: bool,
    long_range: Option<(i64, i64)>,
    double_range: Option<(f64, f64)>,
    text_range: Option<(String, String)>,
    /// Time formats that have read this column's values so far; seeded from
    /// its first value.
    pub times: Vec<TimeCandidate>,
    time_seeded: bool,
}

impl Default for ColumnState {
    fn default() -> Self {
        Self {
            nulls: 0,
            values: 0,
            could_be_bool: true,
            could_be_long: true,
            could_be_double: true,
            long_range: None,
            double_range: None,
            text_range: None,
            times: Vec::new(),
            time_seeded: false,
        }
    }
}

fn widen<T: PartialOrd + Clone>(range: &mut Option<(T, T)>, value: &T) {
    match range {
        None => *range = Some((value.clone(), value.clone())),
        Some((min, max)) => {
            if value < min {
                *min = value.clone();
            }
            if value > max {
                *max = value.clone();
            }
        }
    }
}

impl ColumnState {
    /// A column that appears only after `rows` rows (NDJSON) starts with
    /// that many nulls.
    pub fn with_leading_nulls(rows: u64) -> Self {
        Self {
            nulls: rows,
            ..Self::default()
        }
    }

    pub fn observe(&mut self, cell: &Cell) {
        match cell {
            Cell::Null => self.nulls += 1,
            Cell::Text(text) if is_null_text(text) => self.nulls += 1,
            Cell::Text(text) => self.observe_text(text),
            Cell::Long(v) => self.observe_long(*v),
            Cell::Double(v) => self.observe_double(*v),
            Cell::Bool(_) => {
                self.values += 1;
                self.could_be_long = false;
                self.could_be_double = false;
                self.no_time();
            }
            Cell::Time(t) => {
                self.values += 1;
                self.could_be_bool = false;
                self.could_be_long = false;
                self.could_be_double = false;
                if !self.time_seeded {
                    self.time_seeded = true;
                    self.times.push(TimeCandidate::new(TimeFormat::Native));
                }
                for candidate in &mut self.times {
                    candidate.record(
                        (candidate.format == TimeFormat::Native && crate::timestamp::in_range(*t))
                            .then_some(*t),
                    );
                }
            }
        }
    }

    fn no_time(&mut self) {
        self.time_seeded = true;
        for candidate in &mut self.times {
            candidate.record(None);
        }
    }

    fn observe_long(&mut self, v: i64) {
        self.values += 1;
        self.could_be_bool = false;
        widen(&mut self.long_range, &v);
        widen(&mut self.double_range, &(v as f64));
        self.no_time();
    }

    fn observe_double(&mut self, v: f64) {
        self.values += 1;
        self.could_be_bool = false;
        self.could_be_long = false;
        widen(&mut self.double_range, &v);
        self.no_time();
    }

    fn observe_text(&mut self, text: &str) {
        self.values += 1;
        let trimmed = text.trim();
        if self.could_be_bool && parse_bool(trimmed).is_none() {
            self.could_be_bool = false;
        }
        let long = if self.could_be_long {
            trimmed.parse::<i64>().ok()
        } else {
            None
        };
        match long {
            Some(v) => {
                widen(&mut self.long_range, &v);
                // A whole number is a double too; no second parse.
                if self.could_be_double {
                    widen(&mut self.double_range, &(v as f64));
                }
            }
            None => {
                self.could_be_long = false;
                if self.could_be_double {
                    match trimmed.parse::<f64>() {
                        Ok(v) if v.is_finite() => widen(&mut self.double_range, &v),
                        _ => self.could_be_double = false,
                    }
                }
            }
        }
        match &mut self.text_range {
            Some((min, max)) => {
                if trimmed < min.as_str() {
                    trimmed.clone_into(min);
                }
                if trimmed > max.as_str() {
                    trimmed.clone_into(max);
                }
            }
            None => self.text_range = Some((trimmed.to_owned(), trimmed.to_owned())),
        }
        if !self.time_seeded {
            self.time_seeded = true;
            self.times = TimeFormat::candidates_for(trimmed)
                .into_iter()
                .map(TimeCandidate::new)
                .collect();
        }
        for candidate in &mut self.times {
            candidate.record(candidate.format.parse(trimmed));
        }
    }

    /// The type every non-null value fits; text when nothing narrower does.
    pub fn column_type(&self) -> ColumnType {
        if self.values == 0 {
            ColumnType::String
        } else if self.could_be_bool && self.long_range.is_none() && self.double_range.is_none() {
            ColumnType::Boolean
        } else if self.could_be_long {
            ColumnType::Long
        } else if self.could_be_double {
            ColumnType::Double
        } else if self
            .times
            .iter()
            .any(|c| c.format == TimeFormat::Native && c.failed == 0)
        {
            ColumnType::Timestamp
        } else {
            ColumnType::String
        }
    }

    /// The time format that read the most values, with an epoch reading for
    /// whole-number columns whose range looks like times.
    pub fn best_time(&self) -> Option<TimeCandidate> {
        let from_text = self
            .times
            .iter()
            .filter(|c| c.parsed > 0)
            .max_by_key(|c| (c.parsed, std::cmp::Reverse(c.failed)))
            .cloned();
        if from_text.is_some() {
            return from_text;
        }
        let (min, max) = self.long_range.filter(|_| self.could_be_long)?;
        let format = TimeFormat::epoch_for_range(min, max)?;
        let factor = if format == TimeFormat::EpochSeconds {
            1000
        } else {
            1
        };
        Some(TimeCandidate {
            format,
            parsed: self.values,
            failed: 0,
            min: min * factor,
            max: max * factor,
        })
    }

    /// Smallest and largest value, as text, for the column's type.
    pub fn min_max(&self, column_type: ColumnType) -> (Option<String>, Option<String>) {
        let pair = |(a, b): (String, String)| (Some(a), Some(b));
        match column_type {
            ColumnType::Long => self
                .long_range
                .map_or((None, None), |(a, b)| pair((a.to_string(), b.to_string()))),
            ColumnType::Double => self
                .double_range
                .map_or((None, None), |(a, b)| pair((a.to_string(), b.to_string()))),
            ColumnType::Timestamp => self.best_time().map_or((None, None), |c| {
                let text = |t| crate::timestamp::millis_to_utc(t).map(|t| t.to_rfc3339());
                (text(c.min), text(c.max))
            }),
            ColumnType::Boolean => (None, None),
            ColumnType::String => self.text_range.clone().map_or((None, None), pair),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(values: &[&str]) -> ColumnState {
        let mut state = ColumnState::default();
        for v in values {
            state.observe(&Cell::Text((*v).to_owned()));
        }
        state
    }

    #[test]
    fn infers_the_narrowest_type() {
        assert_eq!(state(&["1", "2", "NA", ""]).column_type(), ColumnType::Long);
        assert_eq!(
            state(&["1", "2.5", "null"]).column_type(),
            ColumnType::Double
        );
        assert_eq!(
            state(&["true", "FALSE", "N/A"]).column_type(),
            ColumnType::Boolean
        );
        assert_eq!(state(&["1", "x"]).column_type(), ColumnType::String);
        assert_eq!(state(&["", "NA"]).column_type(), ColumnType::String);
    }

    #[test]
    fn counts_nulls_and_ranges() {
        let s = state(&["5", "NA", "-3", "n/a", "10"]);
        assert_eq!((s.nulls, s.values), (2, 3));
        assert_eq!(
            s.min_max(ColumnType::Long),
            (Some("-3".into()), Some("10".into()))
        );
    }

    #[test]
    fn finds_times_and_their_failures() {
        let s = state(&["2020-01-01", "2020-02-01", "soon", "2020-03-01"]);
        let best = s.best_time().expect("a time format");
        assert_eq!((best.parsed, best.failed), (3, 1));
        assert_eq!(best.format, TimeFormat::Date("%Y-%m-%d"));
    }
}
