//! Second pass: read the rows again and write the accepted ones, typed, in
//! bounded batches — as Parquet (Polars) or NDJSON. `__time` (epoch
//! milliseconds) comes first and replaces the time column, as in Druid.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::Path,
};

use ingest_domain::{ColumnType, RejectionKind, Severity};
use polars::prelude::*;

use crate::infer::{is_null_text, parse_decimal_comma};
use crate::profile::{Problems, Profile, MAX_LINES_PER_KIND};
use crate::quarantine::{render_cells, Quarantine};
use crate::rejections::Budgeted;
use crate::source::{Cell, RowSource};
use crate::timestamp::{in_range, TimeFormat};
use crate::types::TypeBreak;
use crate::{control::CHECK_EVERY_ROWS, Control, ValidationError};

/// Name of the row-time column in normalized files, as Druid names it.
pub const TIME_COLUMN: &str = "__time";
const BATCH_ROWS: usize = 65_536;

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

/// A cell converted to its column's type.
pub(crate) enum Typed {
    Null,
    Long(i64),
    Double(f64),
    Bool(bool),
    Text(String),
}

/// Converts a cell; `None` when it does not fit the type. `decimal_comma`:
/// the column's numbers are written like `1.234,5`.
pub(crate) fn convert(cell: &Cell, column_type: ColumnType, decimal_comma: bool) -> Option<Typed> {
    if matches!(cell, Cell::Null) || matches!(cell, Cell::Text(t) if is_null_text(t)) {
        return Some(Typed::Null);
    }
    match column_type {
        ColumnType::Long => match cell {
            Cell::Long(x) => Some(Typed::Long(*x)),
            // Spreadsheets store whole numbers as floats.
            Cell::Double(x) if x.fract() == 0.0 && x.abs() < 9.0e15 => Some(Typed::Long(*x as i64)),
            Cell::Text(t) => t.trim().parse().ok().map(Typed::Long),
            _ => None,
        },
        ColumnType::Double => match cell {
            Cell::Long(x) => Some(Typed::Double(*x as f64)),
            Cell::Double(x) => Some(Typed::Double(*x)),
            Cell::Text(t) if decimal_comma => {
                parse_decimal_comma(t).map(|n| Typed::Double(n.value))
            }
            Cell::Text(t) => t.trim().parse().ok().map(Typed::Double),
            _ => None,
        },
        ColumnType::Boolean => match cell {
            Cell::Bool(b) => Some(Typed::Bool(*b)),
            Cell::Text(t) if t.trim().eq_ignore_ascii_case("true") => Some(Typed::Bool(true)),
            Cell::Text(t) if t.trim().eq_ignore_ascii_case("false") => Some(Typed::Bool(false)),
            _ => None,
        },
        ColumnType::Timestamp | ColumnType::String => Some(Typed::Text(cell_text(cell))),
    }
}

/// A cell as text, as a string column stores it.
pub(crate) fn cell_text(cell: &Cell) -> String {
    match cell {
        Cell::Text(t) => t.clone(),
        Cell::Long(x) => x.to_string(),
        Cell::Double(x) => x.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Time(t) => {
            crate::timestamp::millis_to_utc(*t).map_or_else(|| t.to_string(), |t| t.to_rfc3339())
        }
        Cell::Null => String::new(),
    }
}

impl Typed {
    pub(crate) fn into_json(self) -> serde_json::Value {
        use serde_json::Value;
        match self {
            Self::Null => Value::Null,
            Self::Long(v) => Value::from(v),
            Self::Double(v) => serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number),
            Self::Bool(v) => Value::Bool(v),
            Self::Text(v) => Value::String(v),
        }
    }
}

/// One column of a Parquet batch.
enum Builder {
    Long(Vec<Option<i64>>),
    Double(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Text(Vec<Option<String>>),
}

impl Builder {
    fn for_type(column_type: ColumnType) -> Self {
        match column_type {
            ColumnType::Long => Self::Long(Vec::with_capacity(BATCH_ROWS)),
            ColumnType::Double => Self::Double(Vec::with_capacity(BATCH_ROWS)),
            ColumnType::Boolean => Self::Bool(Vec::with_capacity(BATCH_ROWS)),
            ColumnType::Timestamp | ColumnType::String => {
                Self::Text(Vec::with_capacity(BATCH_ROWS))
            }
        }
    }

    fn dtype(&self) -> DataType {
        match self {
            Self::Long(_) => DataType::Int64,
            Self::Double(_) => DataType::Float64,
            Self::Bool(_) => DataType::Boolean,
            Self::Text(_) => DataType::String,
        }
    }

    fn push(&mut self, value: Typed) {
        match (self, value) {
            (Self::Long(v), Typed::Long(x)) => v.push(Some(x)),
            (Self::Double(v), Typed::Double(x)) => v.push(Some(x)),
            (Self::Bool(v), Typed::Bool(x)) => v.push(Some(x)),
            (Self::Text(v), Typed::Text(x)) => v.push(Some(x)),
            (Self::Long(v), _) => v.push(None),
            (Self::Double(v), _) => v.push(None),
            (Self::Bool(v), _) => v.push(None),
            (Self::Text(v), _) => v.push(None),
        }
    }

    fn take_column(&mut self, name: &str) -> Column {
        let name = PlSmallStr::from(name);
        match self {
            Self::Long(v) => Column::new(name, std::mem::take(v)),
            Self::Double(v) => Column::new(name, std::mem::take(v)),
            Self::Bool(v) => Column::new(name, std::mem::take(v)),
            Self::Text(v) => Column::new(name, std::mem::take(v)),
        }
    }
}

/// Where accepted rows go, batch by batch.
enum Sink {
    Count,
    Parquet {
        writer: Box<polars::io::parquet::write::BatchedWriter<File>>,
        times: Vec<i64>,
        builders: Vec<Builder>,
    },
    Ndjson(BufWriter<File>),
}

/// The columns written besides `__time`, in file order.
struct Layout<'a> {
    names: Vec<&'a str>,
    types: Vec<ColumnType>,
    /// Whether each written column's numbers have a decimal comma.
    decimal_commas: Vec<bool>,
    /// Index in the source row of each written column.
    indices: Vec<usize>,
    /// Whether each written column's type is the uploader's (a value that
    /// does not fit rejects the row instead of becoming null).
    overridden: Vec<bool>,
}

impl Sink {
    fn open(
        output: Option<(&Path, OutputFormat)>,
        layout: &Layout<'_>,
    ) -> Result<Self, ValidationError> {
        let Some((path, format)) = output else {
            return Ok(Self::Count);
        };
        let file = File::create(path).map_err(ValidationError::io(path))?;
        match format {
            OutputFormat::Ndjson => Ok(Self::Ndjson(BufWriter::with_capacity(1 << 20, file))),
            OutputFormat::Parquet => {
                let builders: Vec<Builder> =
                    layout.types.iter().map(|t| Builder::for_type(*t)).collect();
                let mut fields = vec![Field::new(TIME_COLUMN.into(), DataType::Int64)];
                fields.extend(
                    layout
                        .names
                        .iter()
                        .zip(&builders)
                        .map(|(n, b)| Field::new((*n).into(), b.dtype())),
                );
                let writer = ParquetWriter::new(file)
                    .with_compression(ParquetCompression::Snappy)
                    .batched(&Schema::from_iter(fields))
                    .map_err(ValidationError::polars("start Parquet output"))?;
                Ok(Self::Parquet {
                    writer: Box::new(writer),
                    times: Vec::with_capacity(BATCH_ROWS),
                    builders,
                })
            }
        }
    }

    fn row(
        &mut self,
        time: i64,
        values: Vec<Typed>,
        layout: &Layout<'_>,
        path: &Path,
    ) -> Result<(), ValidationError> {
        match self {
            Self::Count => Ok(()),
            Self::Ndjson(out) => {
                let mut object = serde_json::Map::with_capacity(values.len() + 1);
                object.insert(TIME_COLUMN.to_owned(), time.into());
                for (name, value) in layout.names.iter().zip(values) {
                    object.insert((*name).to_owned(), value.into_json());
                }
                serde_json::to_writer(&mut *out, &object)
                    .map_err(|e| ValidationError::io(path)(e.into()))?;
                out.write_all(b"\n").map_err(ValidationError::io(path))
            }
            Self::Parquet {
                times, builders, ..
            } => {
                times.push(time);
                for (builder, value) in builders.iter_mut().zip(values) {
                    builder.push(value);
                }
                if times.len() >= BATCH_ROWS {
                    self.flush(layout)?;
                }
                Ok(())
            }
        }
    }

    fn flush(&mut self, layout: &Layout<'_>) -> Result<(), ValidationError> {
        if let Self::Parquet {
            writer,
            times,
            builders,
        } = self
        {
            let height = times.len();
            let mut columns = vec![Column::new(TIME_COLUMN.into(), std::mem::take(times))];
            columns.extend(
                layout
                    .names
                    .iter()
                    .zip(builders.iter_mut())
                    .map(|(n, b)| b.take_column(n)),
            );
            let frame = DataFrame::new(height, columns)
                .map_err(ValidationError::polars("assemble batch"))?;
            writer
                .write_batch(&frame)
                .map_err(ValidationError::polars("write Parquet batch"))?;
        }
        Ok(())
    }

    fn finish(mut self, layout: &Layout<'_>, path: Option<&Path>) -> Result<(), ValidationError> {
        let has_rows = matches!(&self, Self::Parquet { times, .. } if !times.is_empty());
        if has_rows {
            self.flush(layout)?;
        }
        match self {
            Self::Count => Ok(()),
            Self::Parquet { writer, .. } => writer
                .finish()
                .map(|_| ())
                .map_err(ValidationError::polars("finish Parquet output")),
            Self::Ndjson(mut out) => out.flush().map_err(ValidationError::io(
                path.unwrap_or_else(|| Path::new("output")),
            )),
        }
    }
}

/// Milliseconds for a time cell under the plan's format, in or out of the
/// accepted range.
pub(crate) fn time_of(cell: &Cell, format: &TimeFormat) -> Option<i64> {
    match cell {
        Cell::Time(t) => Some(*t),
        Cell::Text(t) if !is_null_text(t) => format.parse_any(t),
        Cell::Long(v) => format.parse_any(&v.to_string()),
        _ => None,
    }
}

/// Why a row has no usable time, for its rejection.
enum NoTime {
    Unreadable,
    OutOfRange(i64),
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

/// The row just read as the file has it, for the rejected-rows file.
fn raw_of(source: &dyn RowSource, row: &[Cell]) -> String {
    source.raw_row().unwrap_or_else(|| render_cells(row))
}

/// Reads `source` again and writes accepted rows to `output` (or only
/// counts them when `output` is `None`), and every rejected row to
/// `quarantine`. Rows of the budgeted kinds were listed by the first pass
/// (which found them within the budget, or this pass would not run), but
/// for values breaking `column_types`, met here only: they are returned in
/// `Written::budgeted` for the caller to settle against the same budget.
pub fn write(
    source: &mut dyn RowSource,
    profile: &Profile,
    output: Option<(&Path, OutputFormat)>,
    problems: &mut Problems,
    quarantine: &mut Quarantine,
    control: &Control,
) -> Result<Written, ValidationError> {
    let profiles = profile.column_profiles();
    let types: Vec<ColumnType> = profiles.iter().map(|c| c.column_type).collect();
    let time_index = profile.time.column.as_ref().map(|(index, _)| *index);
    let indices: Vec<usize> = (0..profile.columns.len())
        .filter(|i| Some(*i) != time_index)
        .collect();
    let layout = Layout {
        names: indices
            .iter()
            .map(|&i| profile.columns[i].as_str())
            .collect(),
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
    let out_path = output.map(|(p, _)| p);
    let mut sink = Sink::open(output, &layout)?;

    let (mut accepted, mut rejected, mut mistyped) = (0u64, 0u64, 0u64);
    let (mut without_time, mut breaking, mut budgeted) = (0u64, 0u64, 0u64);
    let mut held = Budgeted::default();
    let mut row: Vec<Cell> = Vec::new();
    let mut rows = 0u64;
    while let Some(meta) = source
        .next_row(&mut row)
        .map_err(|f| ValidationError::Changed(f.message))?
    {
        rows += 1;
        if rows.is_multiple_of(CHECK_EVERY_ROWS) && control.rows_read(rows) {
            return Err(ValidationError::Cancelled);
        }
        if let Some(defect) = source.row_defect() {
            rejected += 1;
            budgeted += 1;
            held.count(RejectionKind::Undecodable);
            let raw = raw_of(source, &row);
            let reason = defect.message;
            quarantine.add(meta.line, None, RejectionKind::Undecodable, &reason, &raw)?;
            continue;
        }
        if source.checks_field_count() && meta.field_count != profile.columns.len() {
            rejected += 1;
            budgeted += 1;
            held.count(RejectionKind::Ragged);
            let reason = format!(
                "{} fields but the header has {}",
                meta.field_count,
                profile.columns.len()
            );
            let raw = raw_of(source, &row);
            quarantine.add(meta.line, None, RejectionKind::Ragged, &reason, &raw)?;
            continue;
        }
        row.resize(profile.columns.len(), Cell::Null);
        let time = match &profile.time.column {
            Some((index, format)) => time_of(&row[*index], format).ok_or(NoTime::Unreadable),
            None => Ok(profile.time.constant),
        }
        .and_then(|t| {
            if in_range(t) {
                Ok(t)
            } else {
                Err(NoTime::OutOfRange(t))
            }
        });
        let time = match time {
            Ok(time) => time,
            Err(why) => {
                rejected += 1;
                without_time += 1;
                let column = time_index.map_or("", |i| profile.columns[i].as_str());
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
                let message = format!(
                    "line {} was rejected: its {column:?} value {reason}",
                    meta.line
                );
                let raw = raw_of(source, &row);
                quarantine.add(meta.line, Some(column), kind, &message, &raw)?;
                if without_time <= MAX_LINES_PER_KIND as u64 {
                    problems.push(
                        Severity::Warning,
                        kind.code(),
                        message,
                        Some(meta.line),
                        Some(column),
                    );
                }
                continue;
            }
        };
        let mut values = Vec::with_capacity(layout.indices.len());
        let mut broken = None;
        for (((&i, &column_type), &comma), &overridden) in layout
            .indices
            .iter()
            .zip(&layout.types)
            .zip(&layout.decimal_commas)
            .zip(&layout.overridden)
        {
            match convert(&row[i], column_type, comma) {
                Some(value) => values.push(value),
                None if overridden => {
                    broken = Some(TypeBreak {
                        column: &profile.columns[i],
                        value: cell_text(&row[i]),
                        wanted: column_type,
                    });
                    break;
                }
                None => {
                    values.push(Typed::Null);
                    mistyped += 1;
                    if mistyped <= MAX_LINES_PER_KIND as u64 {
                        problems.push(
                            Severity::Warning,
                            "value_not_of_column_type",
                            format!("line {}: value does not fit the column's type and was stored as null", meta.line),
                            Some(meta.line),
                            Some(&profile.columns[i]),
                        );
                    }
                }
            }
        }
        if let Some(broken) = broken {
            rejected += 1;
            breaking += 1;
            let message = format!("line {} was rejected: {}", meta.line, broken.reason());
            let raw = raw_of(source, &row);
            quarantine.add(
                meta.line,
                Some(broken.column),
                RejectionKind::TypeOverride,
                &message,
                &raw,
            )?;
            held.note(
                RejectionKind::TypeOverride,
                TypeBreak::CODE,
                message,
                Some(meta.line),
                Some(broken.column),
            );
            continue;
        }
        sink.row(
            time,
            values,
            &layout,
            out_path.unwrap_or_else(|| Path::new("output")),
        )?;
        accepted += 1;
    }
    control.rows_read(rows);
    sink.finish(&layout, out_path)?;
    if without_time > MAX_LINES_PER_KIND as u64 {
        problems.push(
            Severity::Warning,
            "rows_without_time",
            format!("{without_time} rows in all were rejected for an empty, unreadable or out-of-range time"),
            None,
            None,
        );
    }
    // The first pass counted the same rows, or the file changed under us.
    if budgeted != profile.budgeted_rows {
        return Err(ValidationError::Changed(format!(
            "{budgeted} rows could not be read as they are, {} the first time",
            profile.budgeted_rows
        )));
    }
    Ok(Written {
        rows_accepted: accepted,
        rows_rejected: rejected,
        rows_breaking_types: breaking,
        rows_rejected_budgeted: budgeted,
        budgeted: held,
    })
}
