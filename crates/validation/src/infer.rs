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

/// A number written the European way: `1.234,5`, `-0,25`, `1 234`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CommaNumber {
    pub value: f64,
    /// Whether it has a decimal comma (`1.234` alone is a whole number).
    pub comma: bool,
    /// The thousands separator it uses, if any.
    pub thousands: Option<char>,
}

/// Reads `text` as a number with a decimal comma and an optional thousands
/// separator (`.`, a space or a no-break space, between groups of three).
pub fn parse_decimal_comma(text: &str) -> Option<CommaNumber> {
    let t = text.trim();
    let (negative, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let (whole, fraction) = match digits.split_once(',') {
        Some((whole, fraction)) if all_digits(fraction) => (whole, Some(fraction)),
        Some(_) => return None,
        None => (digits, None),
    };
    let thousands = whole.chars().find(|c| !c.is_ascii_digit());
    if thousands.is_none() && fraction.is_none() {
        // A plain whole number, the common case: no copy.
        let value: f64 = whole.parse().ok().filter(|_| all_digits(whole))?;
        return Some(CommaNumber {
            value: if negative { -value } else { value },
            comma: false,
            thousands: None,
        });
    }
    let mut plain = String::with_capacity(digits.len());
    match thousands {
        None if all_digits(whole) => plain.push_str(whole),
        None => return None,
        Some(sep) => {
            if !matches!(sep, '.' | ' ' | '\u{a0}' | '\u{202f}') {
                return None;
            }
            let mut groups = whole.split(sep);
            let first = groups.next()?;
            if !all_digits(first) || first.len() > 3 {
                return None;
            }
            plain.push_str(first);
            for group in groups {
                if !all_digits(group) || group.len() != 3 {
                    return None;
                }
                plain.push_str(group);
            }
        }
    }
    if let Some(fraction) = fraction {
        plain.push('.');
        plain.push_str(fraction);
    }
    let value: f64 = plain.parse().ok().filter(|v: &f64| v.is_finite())?;
    Some(CommaNumber {
        value: if negative { -value } else { value },
        comma: fraction.is_some(),
        thousands,
    })
}

/// What a column's values say about decimal commas, while they all read so.
#[derive(Debug, Clone)]
pub struct CommaDecimals {
    possible: bool,
    seen_comma: bool,
    pub thousands: Option<char>,
    range: Option<(f64, f64)>,
}

impl CommaDecimals {
    fn observe(&mut self, text: &str) {
        if !self.possible {
            return;
        }
        match parse_decimal_comma(text) {
            // One thousands separator throughout.
            Some(number)
                if number.thousands.is_none()
                    || self.thousands.is_none()
                    || number.thousands == self.thousands =>
            {
                self.seen_comma |= number.comma;
                self.thousands = self.thousands.or(number.thousands);
                widen(&mut self.range, &number.value);
            }
            _ => self.possible = false,
        }
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
    /// Set for text from delimited files whose delimiter is not a comma,
    /// where numbers may have a decimal comma (European spreadsheets).
    comma: Option<CommaDecimals>,
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
            comma: None,
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

    /// A column whose numbers may be written with a decimal comma.
    pub fn allowing_decimal_comma() -> Self {
        Self {
            comma: Some(CommaDecimals {
                possible: true,
                seen_comma: false,
                thousands: None,
                range: None,
            }),
            ..Self::default()
        }
    }

    /// How the column's numbers are written, when they use a decimal comma
    /// and would not all read as numbers otherwise.
    pub fn decimal_comma(&self) -> Option<&CommaDecimals> {
        self.comma
            .as_ref()
            .filter(|c| c.possible && c.seen_comma && !self.could_be_double && self.values > 0)
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
        if let Some(comma) = &mut self.comma {
            comma.observe(trimmed);
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
        } else if self.could_be_double || self.decimal_comma().is_some() {
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
                .decimal_comma()
                .map_or(self.double_range, |c| c.range)
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

    fn european(values: &[&str]) -> ColumnState {
        let mut state = ColumnState::allowing_decimal_comma();
        for v in values {
            state.observe(&Cell::Text((*v).to_owned()));
        }
        state
    }

    #[test]
    fn reads_decimal_commas_when_every_value_agrees() {
        let parse = |t| parse_decimal_comma(t).map(|n| n.value);
        assert_eq!(parse("1.234,5"), Some(1234.5));
        assert_eq!(parse("-0,25"), Some(-0.25));
        assert_eq!(parse("1 234 567"), Some(1_234_567.0));
        assert_eq!(parse("12"), Some(12.0));
        for bad in [
            "1,2,3", "1.5", "12.34,5", ",5", "1,", "1.2345,6", "abc", "1e5",
        ] {
            assert_eq!(parse(bad), None, "{bad}");
        }

        let s = european(&["1,5", "2.345,75", "", "-3"]);
        assert_eq!(s.column_type(), ColumnType::Double);
        assert_eq!(s.decimal_comma().and_then(|c| c.thousands), Some('.'));
        assert_eq!(
            s.min_max(ColumnType::Double),
            (Some("-3".into()), Some("2345.75".into()))
        );
        // Plain numbers stay plain; one value that is not a number, or two
        // thousands separators, make it text.
        assert!(european(&["1.5", "2"]).decimal_comma().is_none());
        assert_eq!(european(&["1,5", "x"]).column_type(), ColumnType::String);
        assert_eq!(
            european(&["1.000,5", "1 000,5"]).column_type(),
            ColumnType::String
        );
        // Comma-separated files never read "1,234" as a decimal.
        assert_eq!(state(&["1,5", "2,5"]).column_type(), ColumnType::String);
    }

    #[test]
    fn finds_times_and_their_failures() {
        let s = state(&["2020-01-01", "2020-02-01", "soon", "2020-03-01"]);
        let best = s.best_time().expect("a time format");
        assert_eq!((best.parsed, best.failed), (3, 1));
        assert_eq!(best.format, TimeFormat::Date("%Y-%m-%d"));
    }
}
