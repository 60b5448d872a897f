//! A column's type as decided from its values, its name and the uploader's
//! `column_types`, with a one-line reason a person can check; and the
//! warning for a column that is numbers but for a few values.

use std::collections::BTreeMap;

use ingest_domain::ColumnType;

use crate::infer::{ColumnState, Example, Width};
use crate::timestamp::TimeFormat;

/// What the uploader said about types (`column_types`, `timestamp_format`).
#[derive(Debug, Clone, Default)]
pub struct Steering {
    pub column_types: BTreeMap<String, ColumnType>,
    pub time_format: Option<TimeFormat>,
}

impl Steering {
    /// The uploader's type for the column called `name`.
    pub fn wanted(&self, name: &str) -> Option<ColumnType> {
        self.column_types.get(name).copied()
    }

    /// A fresh state for the column called `name`, from `base`.
    pub fn seed(&self, base: &ColumnState, name: &str) -> ColumnState {
        base.clone()
            .wanting(self.wanted(name))
            .timed_as(self.time_format.as_ref())
    }
}

/// Why a row was rejected: a value that does not fit the type the
/// uploader gave its column (`column_types`). Its own code, so budgets and
/// quarantine can tell it from rows without a time.
#[derive(Debug, Clone, PartialEq)]
pub struct TypeBreak<'a> {
    pub column: &'a str,
    pub value: String,
    pub wanted: ColumnType,
}

impl TypeBreak<'_> {
    pub const CODE: &'static str = "value_breaks_column_type";

    /// E.g. `its "amount" value "abc" is not a double (column_types)`.
    pub fn reason(&self) -> String {
        let value = Example::new(0, &self.value).value;
        format!(
            "its {:?} value {value:?} is not a {}, the type column_types gives that column",
            self.column,
            self.wanted.as_str()
        )
    }
}

/// A column's type and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub column_type: ColumnType,
    pub reason: String,
}

/// Digit codes at least this wide, in a column named like an identifier,
/// stay text.
const MIN_CODE_WIDTH: usize = 4;

/// `4468` → `4,468`, as the reasons write counts.
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn plural(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", count(n), if n == 1 { one } else { many })
}

fn example(e: &Example) -> String {
    if e.line > 0 {
        format!("{:?} (line {})", e.value, e.line)
    } else {
        format!("{:?}", e.value)
    }
}

fn examples(list: &[Example], total: u64) -> String {
    let mut text = list.iter().map(example).collect::<Vec<_>>().join(", ");
    if total > list.len() as u64 {
        text.push_str(&format!(" and {} more", count(total - list.len() as u64)));
    }
    text
}

/// Whether a column's name says it holds codes, not quantities: `zip`,
/// `postal_code`, `phone`, `customerId`, `sku`, ….
pub fn names_an_identifier(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "id",
        "ids",
        "zip",
        "zipcode",
        "postal",
        "postcode",
        "plz",
        "phone",
        "tel",
        "telephone",
        "mobile",
        "fax",
        "msisdn",
        "code",
        "sku",
        "ean",
        "upc",
        "gtin",
        "isbn",
        "iban",
        "account",
        "acct",
        "ssn",
    ];
    // Words split at non-alphanumerics and at camelCase humps.
    let mut words: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in name.chars() {
        let boundary = !c.is_alphanumeric() || (c.is_uppercase() && previous_lower);
        if boundary && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        if c.is_alphanumeric() {
            current.extend(c.to_lowercase());
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
    }
    words.push(current);
    words.iter().any(|w| WORDS.contains(&w.as_str()))
}

/// A column's type: the uploader's, the row time's, or what its values and
/// name say. `time`: the format the column is read with when it is the
/// row-time column.
pub fn decide(
    state: &ColumnState,
    name: &str,
    time: Option<&TimeFormat>,
    time_rows: Option<(u64, u64)>,
) -> Decision {
    if let Some(format) = time {
        let (read, of) = time_rows.unwrap_or((state.values, state.values));
        return Decision {
            column_type: ColumnType::Timestamp,
            reason: format!(
                "row time: {} of {} values read as {}",
                count(read),
                count(of),
                format.describe()
            ),
        };
    }
    let inferred = inferred(state, name);
    match state.wanted() {
        Some(wanted) => Decision {
            column_type: wanted,
            reason: format!(
                "set by column_types (the values alone would make it {})",
                inferred.column_type.as_str()
            ),
        },
        None => inferred,
    }
}

/// What the values (and, for digit codes, the name) say.
fn inferred(state: &ColumnState, name: &str) -> Decision {
    let evidence = &state.evidence;
    let values = state.values;
    let all = |what: &str| format!("{} of {} values {what}", count(values), count(values));
    let decided = |column_type, reason| Decision {
        column_type,
        reason,
    };
    match state.column_type() {
        ColumnType::Long => match evidence.width {
            Width::Fixed(width) if width >= MIN_CODE_WIDTH && names_an_identifier(name) => decided(
                ColumnType::String,
                format!(
                    "{} are {width}-digit codes in a column named like an identifier → string (kept as written)",
                    plural(values, "value", "values")
                ),
            ),
            _ => decided(ColumnType::Long, all("parse as integers")),
        },
        ColumnType::Double if state.decimal_comma().is_some() => decided(
            ColumnType::Double,
            all("parse as numbers with a decimal comma"),
        ),
        ColumnType::Double => decided(ColumnType::Double, all("parse as numbers")),
        ColumnType::Boolean => decided(ColumnType::Boolean, all("are true or false")),
        ColumnType::Timestamp => decided(ColumnType::Timestamp, all("are dates or times")),
        ColumnType::String => decided(ColumnType::String, text_reason(state)),
    }
}

fn text_reason(state: &ColumnState) -> String {
    let evidence = &state.evidence;
    if state.values == 0 {
        return format!(
            "no values ({} empty or null) → string",
            plural(state.nulls, "is", "are")
        );
    }
    if evidence.leading_zeros > 0 {
        let keep = if evidence.leading_zeros == 1 {
            "keeps"
        } else {
            "keep"
        };
        return format!(
            "{} {keep} leading zeros{} → string",
            plural(evidence.leading_zeros, "value", "values"),
            evidence
                .leading_zero_example
                .as_ref()
                .map_or(String::new(), |e| format!(" (e.g. {})", example(e)))
        );
    }
    let first = evidence.other_examples.first().map(example);
    match first {
        Some(_) if evidence.numbers > 0 && !evidence.gave_up() => format!(
            "{} of {} values parse as numbers; {} not ({}) → string",
            count(evidence.numbers),
            count(state.values),
            plural(evidence.others, "is", "are"),
            examples(&evidence.other_examples, evidence.others)
        ),
        Some(first) => format!("text, e.g. {first} → string"),
        None => "text → string".to_owned(),
    }
}

/// A column read as text although nearly all its values are numbers: one
/// message naming the values that are not and their lines (at most
/// `MAX_EXAMPLES`), or `None`.
pub fn near_numeric(state: &ColumnState, name: &str, decision: &Decision) -> Option<String> {
    let evidence = &state.evidence;
    let few = evidence.others > 0 && evidence.others * 20 <= state.values;
    if decision.column_type != ColumnType::String
        || state.wanted().is_some()
        || evidence.leading_zeros > 0
        || evidence.gave_up()
        || !few
    {
        return None;
    }
    let suggested = if evidence.fractions { "double" } else { "long" };
    Some(format!(
        "column {name:?} would be numeric but for {} of {} values: {}; it is read as text. Fix {}, or send column_types {{{name:?}:\"{suggested}\"}} to read it as numbers and reject {}",
        count(evidence.others),
        count(state.values),
        examples(&evidence.other_examples, evidence.others),
        if evidence.others == 1 { "that value" } else { "those values" },
        if evidence.others == 1 { "that row" } else { "those rows" },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Cell;

    fn column(values: &[String]) -> ColumnState {
        let mut state = ColumnState::default();
        for (i, v) in values.iter().enumerate() {
            state.observe_at(&Cell::Text(v.clone()), i as u64 + 2);
        }
        state
    }

    fn texts(values: &[&str]) -> Vec<String> {
        values.iter().map(|v| (*v).to_owned()).collect()
    }

    #[test]
    fn counts_are_written_with_thousands_separators() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(4468), "4,468");
        assert_eq!(count(1_234_567), "1,234,567");
    }

    #[test]
    fn leading_zeros_keep_digits_as_text() {
        let zips = column(&texts(&["02134", "10001", "94105", "00501"]));
        let d = decide(&zips, "zip", None, None);
        assert_eq!(d.column_type, ColumnType::String);
        assert_eq!(
            d.reason,
            "2 values keep leading zeros (e.g. \"02134\" (line 2)) → string"
        );
        // Zero alone, and decimals below one, are numbers.
        let numbers = column(&texts(&["0", "0.5", "10"]));
        assert_eq!(
            decide(&numbers, "x", None, None).column_type,
            ColumnType::Double
        );
    }

    #[test]
    fn fixed_width_codes_stay_text_only_in_identifier_columns() {
        let generated: Vec<String> = (0..4468)
            .map(|i| format!("{}", 5_550_000_000u64 + i))
            .collect();
        let phones = column(&generated);
        let d = decide(&phones, "phone_number", None, None);
        assert_eq!(d.column_type, ColumnType::String, "{}", d.reason);
        assert!(
            d.reason.contains("4,468 values are 10-digit codes"),
            "{}",
            d.reason
        );
        // The same digits under another name are numbers (epoch times,
        // amounts), and so are codes of varying width.
        let d = decide(&phones, "amount", None, None);
        assert_eq!(d.column_type, ColumnType::Long);
        assert_eq!(d.reason, "4,468 of 4,468 values parse as integers");
        let ids = column(&texts(&["7", "1234", "99"]));
        assert_eq!(
            decide(&ids, "customerId", None, None).column_type,
            ColumnType::Long
        );
        assert!(names_an_identifier("customerId"));
        assert!(names_an_identifier("Postal Code"));
        assert!(!names_an_identifier("paid"));
        assert!(!names_an_identifier("valid_from"));
    }

    #[test]
    fn a_few_words_among_numbers_are_named_with_their_lines() {
        let mut values: Vec<String> = (0..1200).map(|i| i.to_string()).collect();
        values.insert(732, "one".into());
        let quantity = column(&values);
        let d = decide(&quantity, "quantity", None, None);
        assert_eq!(d.column_type, ColumnType::String);
        assert_eq!(
            d.reason,
            "1,200 of 1,201 values parse as numbers; 1 is not (\"one\" (line 734)) → string"
        );
        let warning = near_numeric(&quantity, "quantity", &d).expect("a warning");
        assert!(
            warning.contains("but for 1 of 1,201 values: \"one\" (line 734)"),
            "{warning}"
        );
        assert!(warning.contains("{\"quantity\":\"long\"}"), "{warning}");

        // Many words: text, no warning, and the counting stops.
        let words: Vec<String> = (0..500).map(|i| format!("w{i}")).collect();
        let names = column(&words);
        let d = decide(&names, "name", None, None);
        assert_eq!(d.reason, "text, e.g. \"w0\" (line 2) → string");
        assert_eq!(near_numeric(&names, "name", &d), None);
        assert!(names.evidence.others <= 101);
    }

    #[test]
    fn overrides_and_time_columns_say_so() {
        let state = column(&texts(&["1", "2"])).wanting(Some(ColumnType::String));
        let d = decide(&state, "n", None, None);
        assert_eq!(d.column_type, ColumnType::String);
        assert_eq!(
            d.reason,
            "set by column_types (the values alone would make it long)"
        );
        let d = decide(&state, "n", Some(&TimeFormat::EpochSeconds), Some((2, 2)));
        assert_eq!(d.reason, "row time: 2 of 2 values read as epoch_seconds");
    }
}
