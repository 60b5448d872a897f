//! Second pass: read the rows again and write the accepted ones, typed, in
//! bounded batches — as Parquet (Polars) or NDJSON. `__time` (epoch
//! milliseconds) comes first and replaces the time column, as in Druid.
//!
//! The types are settled by now, so rows are independent: the reading
//! thread parses records into batches of raw cells (`batch`), workers
//! convert whole batches (`workers`), and everything that depends on the
//! order of rows — the rejected-row counts, the first lines listed per
//! kind, the quarantine file, the budgeted type breaks, the Parquet row
//! groups — is applied to batches strictly in file order (`Ordered`), so
//! the output and the report are one thread's on any number of threads.

use std::{borrow::Cow, path::Path};

use ingest_domain::{ColumnType, RejectionKind, Severity};

use crate::infer::{is_null_text, parse_decimal_comma};
use crate::profile::{Problems, Profile, MAX_LINES_PER_KIND};
use crate::quarantine::Quarantine;
use crate::rejections::Budgeted;
use crate::source::{Cell, RowSource};
use crate::timestamp::TimeFormat;
use crate::types::TypeBreak;
use crate::{Control, ValidationError};

mod batch;
mod sink;
#[cfg(test)]
mod tests;
mod workers;

use batch::{Converted, Event, NoTime, Reader};
use sink::Sink;
#[cfg(test)]
pub(crate) use workers::STARTED as WORKERS_STARTED;

/// Name of the row-time column in normalized files, as Druid names it.
pub const TIME_COLUMN: &str = "__time";

/// The layout of the normalized file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OutputFormat {
    /// Typed Parquet in row groups (the local sink).
    #[default]
    Parquet,
    /// One JSON object per line (what every Druid version reads).
    Ndjson,
}

impl OutputFormat {
    /// File-name extension of a normalized file in this layout.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Parquet => "parquet",
            Self::Ndjson => "json",
        }
    }
}

/// A cell converted to its column's type; text borrowed from the cell
/// where it can be (a batch's text lives while its rows are written).
pub(crate) enum Typed<'a> {
    Null,
    Long(i64),
    Double(f64),
    Bool(bool),
    Text(Cow<'a, str>),
}

/// A cell of a row, its text borrowed (from a `Cell` or a batch).
#[derive(Clone, Copy)]
pub(crate) enum CellRef<'a> {
    Null,
    Text(&'a str),
    Long(i64),
    Double(f64),
    Bool(bool),
    Time(i64),
}

impl<'a> From<&'a Cell> for CellRef<'a> {
    fn from(cell: &'a Cell) -> Self {
        match cell {
            Cell::Null => Self::Null,
            Cell::Text(t) => Self::Text(t),
            Cell::Long(x) => Self::Long(*x),
            Cell::Double(x) => Self::Double(*x),
            Cell::Bool(x) => Self::Bool(*x),
            Cell::Time(x) => Self::Time(*x),
        }
    }
}

impl CellRef<'_> {
    fn to_cell(self) -> Cell {
        match self {
            Self::Null => Cell::Null,
            Self::Text(t) => Cell::Text(t.to_owned()),
            Self::Long(x) => Cell::Long(x),
            Self::Double(x) => Cell::Double(x),
            Self::Bool(x) => Cell::Bool(x),
            Self::Time(x) => Cell::Time(x),
        }
    }
}

/// Converts a cell; `None` when it does not fit the type. `decimal_comma`:
/// the column's numbers are written like `1.234,5`.
pub(crate) fn convert(
    cell: &Cell,
    column_type: ColumnType,
    decimal_comma: bool,
) -> Option<Typed<'_>> {
    convert_ref(cell.into(), column_type, decimal_comma)
}

fn convert_ref(
    cell: CellRef<'_>,
    column_type: ColumnType,
    decimal_comma: bool,
) -> Option<Typed<'_>> {
    if matches!(cell, CellRef::Null) || matches!(cell, CellRef::Text(t) if is_null_text(t)) {
        return Some(Typed::Null);
    }
    match column_type {
        ColumnType::Long => match cell {
            CellRef::Long(x) => Some(Typed::Long(x)),
            // Spreadsheets store whole numbers as floats.
            CellRef::Double(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => {
                Some(Typed::Long(x as i64))
            }
            CellRef::Text(t) => t.trim().parse().ok().map(Typed::Long),
            _ => None,
        },
        ColumnType::Double => match cell {
            CellRef::Long(x) => Some(Typed::Double(x as f64)),
            CellRef::Double(x) => Some(Typed::Double(x)),
            CellRef::Text(t) if decimal_comma => {
                parse_decimal_comma(t).map(|n| Typed::Double(n.value))
            }
            CellRef::Text(t) => t.trim().parse().ok().map(Typed::Double),
            _ => None,
        },
        ColumnType::Boolean => match cell {
            CellRef::Bool(b) => Some(Typed::Bool(b)),
            CellRef::Text(t) if t.trim().eq_ignore_ascii_case("true") => Some(Typed::Bool(true)),
            CellRef::Text(t) if t.trim().eq_ignore_ascii_case("false") => Some(Typed::Bool(false)),
            _ => None,
        },
        ColumnType::Timestamp | ColumnType::String => Some(Typed::Text(text_of(cell))),
    }
}

/// A cell as text, as a string column stores it.
pub(crate) fn cell_text(cell: &Cell) -> String {
    text_of(cell.into()).into_owned()
}

fn text_of(cell: CellRef<'_>) -> Cow<'_, str> {
    match cell {
        CellRef::Text(t) => Cow::Borrowed(t),
        CellRef::Long(x) => Cow::Owned(x.to_string()),
        CellRef::Double(x) => Cow::Owned(x.to_string()),
        CellRef::Bool(b) => Cow::Owned(b.to_string()),
        CellRef::Time(t) => Cow::Owned(
            crate::timestamp::millis_to_utc(t).map_or_else(|| t.to_string(), |t| t.to_rfc3339()),
        ),
        CellRef::Null => Cow::Borrowed(""),
    }
}

impl Typed<'_> {
    pub(crate) fn into_json(self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::Null => Value::Null,
            Self::Long(v) => Value::from(v),
            Self::Double(v) => serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
            Self::Bool(v) => Value::Bool(v),
            Self::Text(v) => Value::String(v.into_owned()),
        }
    }
}

/// The columns written besides `__time`, in file order.
struct Layout<'a> {
    names: Vec<&'a str>,
    types: Vec<ColumnType>,
    /// Whether each written column's numbers have a decimal comma.
    decimal_commas: Vec<bool>,
    /// Index in the source row of each written column.
    indices: Vec<usize>,
    /// The fields of an NDJSON line, in the order they are written.
    json: Vec<(Vec<u8>, sink::JsonField)>,
    /// Whether each written column's type is the uploader's (a value that
    /// does not fit rejects the row instead of becoming null).
    overridden: Vec<bool>,
}

/// Milliseconds for a time cell under the plan's format, in or out of the
/// accepted range.
pub(crate) fn time_of(cell: &Cell, format: &TimeFormat) -> Option<i64> {
    time_of_ref(cell.into(), format)
}

fn time_of_ref(cell: CellRef<'_>, format: &TimeFormat) -> Option<i64> {
    match cell {
        CellRef::Time(t) => Some(t),
        CellRef::Text(t) if !is_null_text(t) => format.parse_any(t),
        CellRef::Long(v) => format.parse_any(&v.to_string()),
        _ => None,
    }
}

pub struct Written {
    pub rows_accepted: u64,
    pub rows_rejected: u64,
    /// Of the rejected rows, those with a value that does not fit the type
    /// `column_types` gives its column.
    pub rows_breaking_types: u64,
    /// Of `rows_rejected`, those of the budgeted kinds (ragged, undecodable).
    pub rows_rejected_budgeted: u64,
    /// Every budgeted row of this pass, the type breaks listed with their
    /// lines: to settle the budget with (`Budgeted::settle_type_breaks`).
    pub budgeted: Budgeted,
}

/// What converting a batch needs to know, shared by every worker.
struct Plan<'a> {
    layout: Layout<'a>,
    /// Cells in a row (the header's width).
    width: usize,
    time: Option<(usize, &'a TimeFormat)>,
    /// Every row's time when there is no time column.
    constant: i64,
    output: Option<OutputFormat>,
    /// Whether rejected rows' text is kept (the quarantine has a file).
    keep_raw: bool,
    /// The source's `raw_row_from_cells`: a row's text is made again from
    /// its cells, for a rejected row only, instead of being copied for every
    /// row while reading.
    joined_by: Option<u8>,
}

/// Reads `source` again and writes accepted rows to `output` (or only
/// counts them when `output` is `None`), and every rejected row to
/// `quarantine`, converting rows on `threads` threads (1: on this one).
/// Rows of the budgeted kinds were listed by the first pass (which found
/// them within the budget, or this pass would not run), but for values
/// breaking `column_types`, met here only: they are returned in
/// `Written::budgeted` for the caller to settle against the same budget.
pub fn write(
    source: &mut dyn RowSource,
    profile: &Profile,
    output: Option<(&Path, OutputFormat)>,
    problems: &mut Problems,
    quarantine: &mut Quarantine,
    control: &Control,
    threads: usize,
) -> Result<Written, ValidationError> {
    write_batched(
        source,
        profile,
        output,
        problems,
        quarantine,
        control,
        threads,
        batch::Size::default(),
    )
}

#[allow(clippy::too_many_arguments)] // `write`'s, plus the batch size tests choose
fn write_batched(
    source: &mut dyn RowSource,
    profile: &Profile,
    output: Option<(&Path, OutputFormat)>,
    problems: &mut Problems,
    quarantine: &mut Quarantine,
    control: &Control,
    threads: usize,
    size: batch::Size,
) -> Result<Written, ValidationError> {
    let profiles = profile.column_profiles();
    let types: Vec<ColumnType> = profiles.iter().map(|c| c.column_type).collect();
    let time_index = profile.time.column.as_ref().map(|(index, _)| *index);
    let indices: Vec<usize> = (0..profile.columns.len())
        .filter(|i| Some(*i) != time_index)
        .collect();
    let names: Vec<&str> = indices
        .iter()
        .map(|&i| profile.columns[i].as_str())
        .collect();
    let layout = Layout {
        json: sink::json_fields(&names),
        names,
        types: indices.iter().map(|&i| types[i]).collect(),
        decimal_commas: indices
            .iter()
            .map(|&i| profiles[i].decimal_separator.is_some())
            .collect(),
        overridden: indices
            .iter()
            .map(|&i| profile.states[i].wanted().is_some())
            .collect(),
        indices,
    };
    let plan = Plan {
        layout,
        width: profile.columns.len(),
        time: profile.time.column.as_ref().map(|(i, f)| (*i, f)),
        constant: profile.time.constant,
        output: output.map(|(_, format)| format),
        keep_raw: quarantine.keeps_rows(),
        joined_by: source.raw_row_from_cells(),
    };
    let out_path = output.map_or_else(|| Path::new("output"), |(p, _)| p);
    let mut ordered = Ordered {
        sink: Sink::open(output, &plan.layout)?,
        path: out_path,
        profile,
        problems,
        quarantine,
        held: Budgeted::default(),
        counts: Counts::default(),
    };
    let mut reader = Reader::new(&plan, size);
    let read = if threads > 1 {
        workers::run(threads, source, &mut reader, &plan, &mut ordered, control)
    } else {
        on_this_thread(source, &mut reader, &plan, &mut ordered, control)
    };
    read?;
    control.rows_read(reader.rows());
    let Ordered {
        sink,
        problems,
        held,
        counts,
        ..
    } = ordered;
    sink.finish(&plan.layout, output.map(|(p, _)| p))?;
    if counts.without_time > MAX_LINES_PER_KIND as u64 {
        problems.push(
            Severity::Warning,
            "rows_without_time",
            format!(
                "{} rows in all were rejected for an empty, unreadable or out-of-range time",
                counts.without_time
            ),
            None,
            None,
        );
    }
    // The first pass counted the same rows, or the file changed under us.
    if counts.budgeted != profile.budgeted_rows {
        return Err(ValidationError::Changed(format!(
            "{} rows could not be read as they are, {} the first time",
            counts.budgeted, profile.budgeted_rows
        )));
    }
    Ok(Written {
        rows_accepted: counts.accepted,
        rows_rejected: counts.rejected,
        rows_breaking_types: counts.breaking,
        rows_rejected_budgeted: counts.budgeted,
        budgeted: held,
    })
}

/// Reads, converts and applies batch after batch on the calling thread.
fn on_this_thread(
    source: &mut dyn RowSource,
    reader: &mut Reader,
    plan: &Plan<'_>,
    ordered: &mut Ordered<'_>,
    control: &Control,
) -> Result<(), ValidationError> {
    loop {
        let (batch, failure) = reader.read(source, control);
        if let Some(batch) = batch {
            ordered.apply(batch.convert(plan), plan)?;
        }
        match failure {
            Some(failure) => return Err(failure),
            None if reader.done() => return Ok(()),
            None => {}
        }
    }
}

#[derive(Default)]
struct Counts {
    accepted: u64,
    rejected: u64,
    /// Values stored as null (the column's type is inferred, not given).
    mistyped: u64,
    without_time: u64,
    breaking: u64,
    budgeted: u64,
}

/// Everything the pass produces that depends on the order of rows: fed
/// converted batches strictly in file order.
struct Ordered<'a> {
    sink: Sink,
    path: &'a Path,
    profile: &'a Profile,
    problems: &'a mut Problems,
    quarantine: &'a mut Quarantine,
    held: Budgeted,
    counts: Counts,
}

impl Ordered<'_> {
    /// Applies the next batch: its rejected rows and warnings, in the order
    /// of their rows, then its accepted rows.
    fn apply(&mut self, converted: Converted, plan: &Plan<'_>) -> Result<(), ValidationError> {
        let columns = &self.profile.columns;
        let counts = &mut self.counts;
        for event in converted.events {
            match event {
                Event::Undecodable { line, reason, raw } => {
                    counts.rejected += 1;
                    counts.budgeted += 1;
                    self.held.count(RejectionKind::Undecodable);
                    self.quarantine
                        .add(line, None, RejectionKind::Undecodable, &reason, &raw)?;
                }
                Event::Ragged {
                    line,
                    field_count,
                    raw,
                } => {
                    counts.rejected += 1;
                    counts.budgeted += 1;
                    self.held.count(RejectionKind::Ragged);
                    let reason =
                        format!("{field_count} fields but the header has {}", columns.len());
                    self.quarantine
                        .add(line, None, RejectionKind::Ragged, &reason, &raw)?;
                }
                Event::NoTime { line, why, raw } => {
                    counts.rejected += 1;
                    counts.without_time += 1;
                    let column = plan.time.map_or("", |(i, _)| columns[i].as_str());
                    let (kind, reason) = match why {
                        NoTime::Unreadable => (
                            RejectionKind::NoTime,
                            "is empty or not a readable time".to_owned(),
                        ),
                        NoTime::OutOfRange(millis) => (
                            RejectionKind::TimeOutOfRange,
                            format!("({millis} ms since 1970) is outside the years 0001 to 9999"),
                        ),
                    };
                    let message =
                        format!("line {line} was rejected: its {column:?} value {reason}");
                    self.quarantine
                        .add(line, Some(column), kind, &message, &raw)?;
                    if counts.without_time <= MAX_LINES_PER_KIND as u64 {
                        self.problems.push(
                            Severity::Warning,
                            kind.code(),
                            message,
                            Some(line),
                            Some(column),
                        );
                    }
                }
                Event::Mistyped { line, column } => {
                    counts.mistyped += 1;
                    if counts.mistyped <= MAX_LINES_PER_KIND as u64 {
                        self.problems.push(
                            Severity::Warning,
                            "value_not_of_column_type",
                            format!("line {line}: value does not fit the column's type and was stored as null"),
                            Some(line),
                            Some(&columns[column]),
                        );
                    }
                }
                Event::Broken {
                    line,
                    column,
                    value,
                    wanted,
                    raw,
                } => {
                    counts.rejected += 1;
                    counts.breaking += 1;
                    let broken = TypeBreak {
                        column: &columns[column],
                        value,
                        wanted,
                    };
                    let message = format!("line {line} was rejected: {}", broken.reason());
                    self.quarantine.add(
                        line,
                        Some(broken.column),
                        RejectionKind::TypeOverride,
                        &message,
                        &raw,
                    )?;
                    self.held.note(
                        RejectionKind::TypeOverride,
                        TypeBreak::CODE,
                        message,
                        Some(line),
                        Some(broken.column),
                    );
                }
            }
        }
        counts.accepted += converted.accepted;
        self.sink.append(converted.rows, &plan.layout, self.path)
    }
}
