//! What a column holds, learned one value at a time in constant memory.

use ingest_domain::ColumnType;

use crate::source::Cell;
use crate::timestamp::TimeFormat;

/// `text.trim()`, without walking in from both ends when neither end can
/// be whitespace (an ASCII byte that is not): most cells, which are trimmed
/// several times each (null check, type inference, statistics).
pub fn trim_cell(text: &str) -> &str {
    let plain = |b: &u8| b.is_ascii() && !matches!(b, b'\t'..=b'\r' | b' ');
    let bytes = text.as_bytes();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) if plain(first) && plain(last) => text,
        _ => text.trim(),
    }
}

/// Texts that mean "no value" in the files people actually have.
pub fn is_null_text(text: &str) -> bool {
    value_of(text).is_none()
}

/// `text` trimmed, or `None` when it means "no value" (`is_null_text`):
/// one trim for the null check and whatever reads the value. Inlined into
/// the column workers' loop, which calls it for every cell.
#[inline]
pub fn value_of(text: &str) -> Option<&str> {
    const TOKENS: [&str; 7] = ["na", "n/a", "null", "none", "nan", "#n/a", "nil"];
    let t = trim_cell(text);
    // Called for every cell: most values are longer than any token, or
    // start with a byte none does.
    let token = match t.as_bytes() {
        [] => true,
        [b'n' | b'N' | b'#', ..] if t.len() <= 4 => {
            TOKENS.iter().any(|token| t.eq_ignore_ascii_case(token))
        }
        _ => false,
    };
    (!token).then_some(t)
}

fn parse_bool(text: &str) -> Option<bool> {
    let t = trim_cell(text);
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
    let t = trim_cell(text);
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
    /// What the values say about the column's type beyond what it fits:
    /// leading zeros, fixed widths, the values that are not numbers.
    pub evidence: Evidence,
    /// The type the uploader chose (`column_types`): its range is kept
    /// even past values that do not fit it.
    wanted: Option<ColumnType>,
    /// `times` holds only the uploader's `timestamp_format`.
    forced_time: bool,
    /// A boolean or time cell was seen (typed sources only): no number.
    non_numbers: bool,
}

/// Values that are not numbers, listed for warnings and reasons.
pub const MAX_EXAMPLES: usize = 5;
/// Past this many values that are not numbers, a column is plain text and
/// stops being checked for numbers (constant cost per cell).
const MAX_COUNTED_OTHERS: u64 = 100;
/// Longest example value quoted in a message.
const MAX_EXAMPLE_CHARS: usize = 40;

/// Whether every value is a digit string of one width.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Width {
    #[default]
    Unseen,
    Fixed(usize),
    Mixed,
}

/// A value and the line it is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    pub line: u64,
    pub value: String,
}

impl Example {
    pub(crate) fn new(line: u64, value: &str) -> Self {
        let mut short: String = value.chars().take(MAX_EXAMPLE_CHARS).collect();
        if short.len() < value.len() {
            short.push('…');
        }
        Self { line, value: short }
    }
}

/// Counts behind a column's type reason and its near-numeric warning.
#[derive(Debug, Clone, Default)]
pub struct Evidence {
    /// Digit strings like `007` (a number would lose the zeros).
    pub leading_zeros: u64,
    pub leading_zero_example: Option<Example>,
    pub width: Width,
    /// Values that read as numbers, and those that do not (counted up to
    /// `MAX_COUNTED_OTHERS`, the first `MAX_EXAMPLES` kept).
    pub numbers: u64,
    pub others: u64,
    pub other_examples: Vec<Example>,
    /// Whether some number had a fraction or exponent.
    pub fractions: bool,
}

impl Evidence {
    /// Whether the column had too much text to be near-numeric.
    pub fn gave_up(&self) -> bool {
        self.others > MAX_COUNTED_OTHERS
    }

    fn other(&mut self, line: u64, text: &str) {
        self.others += 1;
        if self.other_examples.len() < MAX_EXAMPLES {
            self.other_examples.push(Example::new(line, text));
        }
    }

    fn width(&mut self, text: Option<&str>) {
        let width = match text {
            Some(t) if !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) => t.len(),
            _ => {
                self.width = Width::Mixed;
                return;
            }
        };
        self.width = match self.width {
            Width::Unseen => Width::Fixed(width),
            Width::Fixed(w) if w == width => Width::Fixed(w),
            _ => Width::Mixed,
        };
    }
}

/// `text.parse::<f64>().ok()`, read directly when it is a plain decimal
/// (`12.50`, `-3`: every price or amount cell; std's general parser was a
/// twelfth of the first pass).
pub fn parse_f64(text: &str) -> Option<f64> {
    plain_decimal(text).or_else(|| text.parse().ok())
}

/// An optional sign, digits, and optionally a point and more digits: at
/// most 15 digits in all, so that the digits as an integer and the power
/// of ten dividing them are exact doubles, and their quotient (one
/// correctly rounded division) is the double nearest the text, which is
/// what std's parser gives (Clinger's fast path, which std takes too).
/// `None` for anything else, left to std.
fn plain_decimal(text: &str) -> Option<f64> {
    const POWERS: [f64; 16] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
    ];
    let (negative, rest) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    // 16 bytes of digits at most: no overflow below.
    if rest.is_empty() || rest.len() > 16 {
        return None;
    }
    let mut digits = 0u64;
    let mut point = None;
    for (at, &b) in rest.iter().enumerate() {
        let digit = b.wrapping_sub(b'0');
        if digit < 10 {
            digits = digits * 10 + u64::from(digit);
        } else if b == b'.' && point.is_none() {
            point = Some(at);
        } else {
            return None;
        }
    }
    let fraction = match point {
        None if rest.len() <= 15 => 0,
        // Digits on both sides of the point (std reads `1.` and `.5` too:
        // left to it).
        Some(at) if at > 0 && at + 1 < rest.len() => rest.len() - at - 1,
        _ => return None,
    };
    let value = digits as f64 / POWERS.get(fraction)?;
    Some(if negative { -value } else { value })
}

/// `007`, `0123`: digits whose leading zeros a number would drop.
fn has_leading_zero(text: &str) -> bool {
    text.len() > 1 && text.starts_with('0') && text.bytes().all(|b| b.is_ascii_digit())
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
            evidence: Evidence::default(),
            wanted: None,
            forced_time: false,
            non_numbers: false,
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

/// `a < b` without a call to libc's `memcmp` for texts of up to 16
/// bytes: every text cell is compared with its column's least and
/// greatest value, and in a column of few values most cells equal one of
/// them, and short cells (prices, quantities) never decided on a first
/// word, so `<` on slices called `memcmp` for most cells. A text's first
/// word (`head`) and its second are read whole. (The top values' equality
/// written the same way was slower than `memcmp`: hashbrown's lookup was
/// no longer inlined.)
#[inline(always)]
fn less(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (x, y) = (head(a), head(b));
    if x != y {
        return x < y;
    }
    // Equal up to the end of one, then zeros: that one is a prefix.
    if a.len() <= 8 || b.len() <= 8 {
        return a.len() < b.len();
    }
    if a.len() <= 16 && b.len() <= 16 {
        let (x, y) = (second_word(a), second_word(b));
        return x < y || (x == y && a.len() < b.len());
    }
    a[8..] < b[8..]
}

/// The first eight bytes of a text (all of them when fewer, then zeros)
/// as a big-endian integer, which orders as the bytes do; a short text
/// read by overlapping loads rather than byte by byte.
#[inline(always)]
fn head(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let at = |i: usize| bytes.get(i).map_or(0, |&b| u64::from(b));
    let half = |i: usize| {
        bytes[i.min(n)..]
            .first_chunk::<4>()
            .map_or(0, |w| u64::from(u32::from_be_bytes(*w)))
    };
    match n {
        8.. => bytes
            .first_chunk::<8>()
            .map_or(0, |w| u64::from_be_bytes(*w)),
        // Bytes 0..4 on top, bytes n-4..n where they belong (the bytes both
        // loads read are the same).
        4..=7 => half(0) << 32 | half(n - 4) << (8 * (8 - n)),
        // Bytes 0, n/2 and n-1 are all of them.
        1..=3 => at(0) << 56 | at(n / 2) << (56 - 8 * (n / 2)) | at(n - 1) << (64 - 8 * n),
        0 => 0,
    }
}

/// Bytes 8 and on of a text of 8 to 16 bytes, big-endian, then zeros:
/// its last eight bytes shifted past those before 8.
#[inline(always)]
fn second_word(bytes: &[u8]) -> u64 {
    let n = bytes.len();
    let last = bytes[n.saturating_sub(8)..]
        .first_chunk::<8>()
        .map_or(0, |w| u64::from_be_bytes(*w));
    last.checked_shl(8 * 16u32.saturating_sub(n as u32))
        .unwrap_or(0)
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

    /// The column's type is the uploader's: keep its range past values
    /// that do not fit.
    pub fn wanting(mut self, wanted: Option<ColumnType>) -> Self {
        self.wanted = wanted;
        self
    }

    /// Row times may only be read as `format` (the uploader's
    /// `timestamp_format`).
    pub fn timed_as(mut self, format: Option<&TimeFormat>) -> Self {
        if let Some(format) = format {
            self.times = vec![TimeCandidate::new(format.clone())];
            self.time_seeded = true;
            self.forced_time = true;
        }
        self
    }

    /// Whether row times may only be read in the uploader's format.
    pub fn forced_time(&self) -> bool {
        self.forced_time
    }

    /// The uploader's type for this column, if any.
    pub fn wanted(&self) -> Option<ColumnType> {
        self.wanted
    }

    /// How the column's numbers are written, when they use a decimal comma
    /// and would not all read as numbers otherwise.
    pub fn decimal_comma(&self) -> Option<&CommaDecimals> {
        self.comma
            .as_ref()
            .filter(|c| c.possible && c.seen_comma && !self.could_be_double && self.values > 0)
    }

    #[cfg(test)]
    pub fn observe(&mut self, cell: &Cell) {
        self.observe_at(cell, 0);
    }

    /// Observes the cell on `line` (named in examples).
    pub fn observe_at(&mut self, cell: &Cell, line: u64) {
        match cell {
            Cell::Null => self.nulls += 1,
            Cell::Text(text) if is_null_text(text) => self.nulls += 1,
            Cell::Text(text) => self.observe_text(text, line),
            Cell::Long(v) => self.observe_long(*v),
            Cell::Double(v) => self.observe_double(*v),
            Cell::Bool(_) => {
                self.non_numbers = true;
                self.evidence.width(None);
                self.values += 1;
                self.could_be_long = false;
                self.could_be_double = false;
                self.no_time();
            }
            Cell::Time(t) => {
                self.non_numbers = true;
                self.evidence.width(None);
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
                        ((candidate.format == TimeFormat::Native || self.forced_time)
                            && crate::timestamp::in_range(*t))
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
        self.evidence.numbers += 1;
        self.evidence.width(None);
        self.could_be_bool = false;
        widen(&mut self.long_range, &v);
        widen(&mut self.double_range, &(v as f64));
        if self.forced_time {
            // Typed numbers are times only as an epoch the uploader named.
            self.time_seeded = true;
            for candidate in &mut self.times {
                let epoch = matches!(
                    candidate.format,
                    TimeFormat::EpochSeconds | TimeFormat::EpochMillis
                );
                candidate.record(
                    epoch
                        .then(|| candidate.format.parse(&v.to_string()))
                        .flatten(),
                );
            }
        } else {
            self.no_time();
        }
    }

    fn observe_double(&mut self, v: f64) {
        self.evidence.numbers += 1;
        self.evidence.fractions |= v.fract() != 0.0;
        self.evidence.width(None);
        self.values += 1;
        self.could_be_bool = false;
        self.could_be_long = false;
        widen(&mut self.double_range, &v);
        self.no_time();
    }

    fn observe_text(&mut self, text: &str, line: u64) {
        self.observe_value(trim_cell(text), line);
    }

    /// A null cell.
    pub fn observe_null(&mut self) {
        self.nulls += 1;
    }

    /// A text cell on `line` that is not null, trimmed (`value_of`).
    /// Returns `trimmed.parse::<f64>().ok()` when it was worked out here
    /// (`None` when not), for the statistics to use instead of parsing the
    /// value again.
    pub fn observe_value(&mut self, trimmed: &str, line: u64) -> Option<Option<f64>> {
        self.values += 1;
        let mut float = None;
        if self.could_be_bool && parse_bool(trimmed).is_none() {
            self.could_be_bool = false;
        }
        let wants_long = self.wanted == Some(ColumnType::Long);
        let wants_double = self.wanted == Some(ColumnType::Double);
        let long = if self.could_be_long || wants_long {
            trimmed.parse::<i64>().ok()
        } else {
            None
        };
        // Numbers are still counted after the first text, for the
        // near-numeric warning, until the column is clearly text.
        let counting = !self.evidence.gave_up();
        let number = match long {
            Some(v) => {
                // What parsing the text as a float gives: both round the
                // same integer to the nearest double; only `-0` differs.
                float = Some(Some(if v == 0 && trimmed.starts_with('-') {
                    -0.0
                } else {
                    v as f64
                }));
                widen(&mut self.long_range, &v);
                // A whole number is a double too; no second parse.
                if self.could_be_double || wants_double {
                    widen(&mut self.double_range, &(v as f64));
                }
                true
            }
            None => {
                self.could_be_long = false;
                if self.could_be_double || wants_double || counting {
                    let parsed = parse_f64(trimmed);
                    float = Some(parsed);
                    match parsed {
                        Some(v) if v.is_finite() => {
                            if self.could_be_double || wants_double {
                                widen(&mut self.double_range, &v);
                            }
                            // Once one number has a fraction, no more searching.
                            if !self.evidence.fractions {
                                self.evidence.fractions = trimmed.contains(['.', 'e', 'E']);
                            }
                            true
                        }
                        _ => {
                            self.could_be_double = false;
                            false
                        }
                    }
                } else {
                    false
                }
            }
        };
        if number {
            self.evidence.numbers += 1;
            if has_leading_zero(trimmed) {
                self.evidence.leading_zeros += 1;
                if self.evidence.leading_zero_example.is_none() {
                    self.evidence.leading_zero_example = Some(Example::new(line, trimmed));
                }
            }
        } else if counting {
            self.evidence.other(line, trimmed);
        }
        if self.evidence.width != Width::Mixed {
            self.evidence.width(Some(trimmed));
        }
        if let Some(comma) = &mut self.comma {
            comma.observe(trimmed);
        }
        match &mut self.text_range {
            Some((min, max)) => {
                // Below the least, a value cannot be above the greatest.
                if less(trimmed, min) {
                    trimmed.clone_into(min);
                } else if less(max, trimmed) {
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
        float
    }

    /// The type every non-null value fits; text when nothing narrower does.
    pub fn column_type(&self) -> ColumnType {
        if self.values == 0 {
            ColumnType::String
        } else if self.could_be_bool && self.long_range.is_none() && self.double_range.is_none() {
            ColumnType::Boolean
        } else if self.evidence.leading_zeros > 0 && (self.could_be_long || self.could_be_double) {
            // `007` as a number would be 7: IDs, ZIP codes, phone numbers.
            ColumnType::String
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

    /// Whether every non-null value seen converts to `column_type` as the
    /// second pass converts it (`normalize::convert`; `comma`: the column's
    /// numbers are read with a decimal comma). `false` when some value may
    /// not: only reading again can tell then.
    pub fn all_fit(&self, column_type: ColumnType, comma: bool) -> bool {
        match column_type {
            ColumnType::String | ColumnType::Timestamp => true,
            // Each flag is cleared by the first value of another kind, or
            // text that does not parse exactly as `convert` parses it.
            ColumnType::Long => self.could_be_long,
            ColumnType::Boolean => self.could_be_bool,
            ColumnType::Double if comma => {
                // Every text value read with a decimal comma; typed numbers
                // convert, booleans and times do not.
                self.comma.as_ref().is_some_and(|c| c.possible) && !self.non_numbers
            }
            ColumnType::Double => self.could_be_double,
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
        if from_text.is_some() || self.forced_time {
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
    fn trim_cell_is_trim() {
        for text in [
            "",
            " ",
            "a",
            " a",
            "a ",
            "\ta\r",
            "\u{b}x\u{b}",
            "\u{a0}x",
            "x\u{3000}",
            "é",
            "a b",
            "\n",
        ] {
            assert_eq!(trim_cell(text), text.trim(), "{text:?}");
        }
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
    fn null_values_and_order_are_the_plain_ones() {
        for text in [
            "", " ", "na", "NA", " n/a ", "Null", "none", "NaN", "#N/A", "nil", "n", "nul",
            "nulls", "#", "#n/", "x", "0", "none!", "\u{a0}NA",
        ] {
            let t = text.trim();
            let plain = t.is_empty()
                || ["na", "n/a", "null", "none", "nan", "#n/a", "nil"]
                    .iter()
                    .any(|token| t.eq_ignore_ascii_case(token));
            assert_eq!(is_null_text(text), plain, "{text:?}");
            assert_eq!(value_of(text), (!plain).then_some(t), "{text:?}");
        }
        let texts = [
            "",
            "a",
            "abcdefgh",
            "abcdefghi",
            "abcdefgg",
            "abcdefgi",
            "2024-01-01 00:00:00",
            "2024-01-01 00:00:01",
            "2024-01-0",
            "2024-01-01",
            "é",
            "éééé",
            "zzzzzzzzz",
            "ab",
            "ab\0",
            "ab\0\0\0\0\0\0\0\0",
            "abcdefgh\0",
            "\0",
            "ORD-1",
            "ORD-10",
            "ORD-9",
            "0.05",
            "0.10",
            "10",
            "9",
            "abcdefghijklmnopq",
            "abcdefghijklmnopr",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(less(a, b), a < b, "{a:?} < {b:?}");
            }
        }
    }

    #[test]
    fn plain_decimals_read_as_std_reads_them() {
        let mut next = crate::test_rng::generator(0x3141_5926_5358_9793);
        let mut read = 0;
        for i in 0..1_000_000u64 {
            let digits = |n: u64, next: &mut dyn FnMut() -> u64| -> String {
                (0..n)
                    .map(|_| char::from(b'0' + (next() % 10) as u8))
                    .collect()
            };
            let sign = ["", "-", "+"][(next() % 3) as usize];
            let whole = digits(next() % 17, &mut next);
            let text = match next() % 4 {
                0 => format!("{sign}{whole}"),
                // Odd shapes std decides: `1.`, `.5`, exponents, letters.
                1 if i % 5 == 0 => {
                    let odd = ["", ".", "e", "e-3", "x", "..", "_"][(next() % 7) as usize];
                    format!("{sign}{whole}{odd}{}", digits(next() % 3, &mut next))
                }
                _ => format!("{sign}{whole}.{}", digits(next() % 17, &mut next)),
            };
            let ours = plain_decimal(&text);
            read += usize::from(ours.is_some());
            if let Some(v) = ours {
                let std = text.parse::<f64>().ok();
                assert_eq!(Some(v.to_bits()), std.map(f64::to_bits), "{text:?}");
            }
            assert_eq!(
                parse_f64(&text).map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits),
                "{text:?}"
            );
        }
        assert!(read > 300_000, "the shortcut read {read}");
        for text in [
            "0",
            "-0",
            "-0.0",
            "+0.00",
            "12.50",
            "999999999999999",
            "0.00000000000001",
        ] {
            assert_eq!(
                plain_decimal(text).map(f64::to_bits),
                text.parse::<f64>().ok().map(f64::to_bits),
                "{text:?}"
            );
        }
        for text in [
            "",
            "-",
            "+",
            ".",
            "1.",
            ".5",
            "-.5",
            "1e5",
            "1.2.3",
            "9999999999999999",
            "١",
        ] {
            assert_eq!(plain_decimal(text), None, "{text:?}");
        }
    }

    #[test]
    fn less_is_the_order_of_bytes() {
        let mut next = crate::test_rng::generator(0x5151_2020_abcd_0001);
        // Texts that share long prefixes, with zeros and multi-byte
        // characters, of every length around the words' edges.
        let alphabet = ["a", "b", "é", "\0", "z"];
        let mut text = || -> String {
            let len = next() % 26;
            (0..len).map(|_| alphabet[(next() % 5) as usize]).collect()
        };
        for len in 0..12 {
            let bytes: Vec<u8> = (1..=len as u8).collect();
            let mut padded = [0u8; 8];
            let n = len.min(8);
            padded[..n].copy_from_slice(&bytes[..n]);
            assert_eq!(head(&bytes), u64::from_be_bytes(padded), "{len}");
        }
        for _ in 0..300_000 {
            let a = text();
            let b = match a.len() % 3 {
                0 => format!("{a}{}", text()),
                1 => a.chars().take(a.len() / 2).collect::<String>() + &text(),
                _ => text(),
            };
            assert_eq!(less(&a, &b), a < b, "{a:?} < {b:?}");
            assert_eq!(less(&b, &a), b < a, "{b:?} < {a:?}");
            assert!(!less(&a, &a));
        }
    }

    #[test]
    fn the_number_handed_on_is_the_one_a_float_parse_gives() {
        let texts = [
            "0",
            "-0",
            "-00",
            "+0",
            "7",
            "-7",
            "+7",
            "007",
            "9007199254740993",
            "-9223372036854775808",
            "9223372036854775807",
            "99999999999999999999",
            "1.5",
            "-0.0",
            "1e5",
            "1e400",
            "inf",
            "-inf",
            "NaN",
            "abc",
            "1,5",
            "",
            "+",
            "-",
        ];
        for wanted in [None, Some(ColumnType::Long), Some(ColumnType::Double)] {
            // Each text first, then after every other one (the flags vary).
            for first in texts {
                let mut state = ColumnState::default().wanting(wanted);
                for text in std::iter::once(first).chain(texts) {
                    if let Some(handed) = state.observe_value(text, 1) {
                        let parsed = text.parse::<f64>().ok();
                        assert_eq!(
                            handed.map(f64::to_bits),
                            parsed.map(f64::to_bits),
                            "{text:?} after {first:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn all_fit_only_when_every_value_converts() {
        assert!(state(&["1", " 2 ", "NA"]).all_fit(ColumnType::Long, false));
        assert!(state(&["1", "2.5"]).all_fit(ColumnType::Double, false));
        assert!(!state(&["1", "2.5"]).all_fit(ColumnType::Long, false));
        assert!(!state(&["1", "x"]).all_fit(ColumnType::Double, false));
        assert!(state(&["1", "x"]).all_fit(ColumnType::String, false));
        assert!(state(&["true", "False"]).all_fit(ColumnType::Boolean, false));
        assert!(!state(&["true", "1"]).all_fit(ColumnType::Boolean, false));
        // `inf` is no number to inference, though Rust reads it: not proven.
        assert!(!state(&["1", "inf"]).all_fit(ColumnType::Double, false));
        let euro = european(&["1,5", "2.345,75", "-3"]);
        assert!(euro.all_fit(ColumnType::Double, true));
        assert!(!european(&["1,5", "x"]).all_fit(ColumnType::Double, true));
        // A typed boolean among decimal-comma numbers does not convert.
        let mut mixed = european(&["1,5"]);
        mixed.observe(&Cell::Bool(true));
        assert!(!mixed.all_fit(ColumnType::Double, true));
        // Typed cells: whole numbers are longs, a double is not.
        let mut typed = ColumnState::default();
        typed.observe(&Cell::Long(3));
        assert!(typed.all_fit(ColumnType::Long, false));
        typed.observe(&Cell::Double(3.0));
        assert!(!typed.all_fit(ColumnType::Long, false));
        assert!(typed.all_fit(ColumnType::Double, false));
    }

    #[test]
    fn finds_times_and_their_failures() {
        let s = state(&["2020-01-01", "2020-02-01", "soon", "2020-03-01"]);
        let best = s.best_time().expect("a time format");
        assert_eq!((best.parsed, best.failed), (3, 1));
        assert_eq!(best.format, TimeFormat::Date("%Y-%m-%d"));
    }
}
