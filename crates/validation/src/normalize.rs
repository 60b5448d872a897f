//! Second pass: read the rows again and write the accepted ones, typed, to
//! Parquet in bounded batches. `__time` (epoch milliseconds) comes first and
//! replaces the time column, as in Druid.

use std::{fs::File, path::Path};

use ingest_domain::ColumnType;
use polars::prelude::*;

use crate::infer::is_null_text;
use crate::profile::{Profile, Problems, MAX_LINES_PER_KIND};
use crate::source::{Cell, RowSource};
use crate::timestamp::TimeFormat;
use crate::ValidationError;

/// Name of the row-time column in normalized files, as Druid names it.
pub const TIME_COLUMN: &str = "__time";
const BATCH_ROWS: usize = 65_536;

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
            ColumnType::Timestamp | ColumnType::String => Self::Text(Vec::with_capacity(BATCH_ROWS)),
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

    /// Appends a cell; `false` when the cell does not fit the column's type
    /// (stored as null and reported).
    fn push(&mut self, cell: &Cell) -> bool {
        let null_text = matches!(cell, Cell::Text(t) if is_null_text(t));
        if matches!(cell, Cell::Null) || null_text {
            match self {
                Self::Long(v) => v.push(None),
                Self::Double(v) => v.push(None),
                Self::Bool(v) => v.push(None),
                Self::Text(v) => v.push(None),
            }
            return true;
        }
        match self {
            Self::Long(v) => {
                let value = match cell {
                    Cell::Long(x) => Some(*x),
                    Cell::Text(t) => t.trim().parse().ok(),
                    _ => None,
                };
                v.push(value);
                value.is_some()
            }
            Self::Double(v) => {
                let value = match cell {
                    Cell::Long(x) => Some(*x as f64),
                    Cell::Double(x) => Some(*x),
                    Cell::Text(t) => t.trim().parse().ok(),
                    _ => None,
                };
                v.push(value);
                value.is_some()
            }
            Self::Bool(v) => {
                let value = match cell {
                    Cell::Bool(b) => Some(*b),
                    Cell::Text(t) if t.trim().eq_ignore_ascii_case("true") => Some(true),
                    Cell::Text(t) if t.trim().eq_ignore_ascii_case("false") => Some(false),
                    _ => None,
                };
                v.push(value);
                value.is_some()
            }
            Self::Text(v) => {
                v.push(Some(match cell {
                    Cell::Text(t) => t.clone(),
                    Cell::Long(x) => x.to_string(),
                    Cell::Double(x) => x.to_string(),
                    Cell::Bool(b) => b.to_string(),
                    Cell::Time(t) => crate::timestamp::millis_to_utc(*t).map_or_else(|| t.to_string(), |t| t.to_rfc3339()),
                    Cell::Null => String::new(),
                }));
                true
            }
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

/// Milliseconds for a time cell under the plan's format.
fn time_of(cell: &Cell, format: TimeFormat) -> Option<i64> {
    match cell {
        Cell::Time(t) => Some(*t),
        Cell::Text(t) if !is_null_text(t) => format.parse(t),
        Cell::Long(v) => format.parse(&v.to_string()),
        _ => None,
    }
}

pub struct Written {
    pub rows_accepted: u64,
    pub rows_rejected: u64,
}

/// Reads `source` again and writes accepted rows to `output` (or only
/// counts them when `output` is `None`).
pub fn write(
    source: &mut dyn RowSource,
    profile: &Profile,
    output: Option<&Path>,
    problems: &mut Problems,
) -> Result<Written, ValidationError> {
    let types: Vec<ColumnType> = profile.column_profiles().iter().map(|c| c.column_type).collect();
    let time_index = profile.time.column.map(|(index, _)| index);
    let kept: Vec<usize> = (0..profile.columns.len()).filter(|i| Some(*i) != time_index).collect();
    let mut builders: Vec<Builder> = kept.iter().map(|&i| Builder::for_type(types[i])).collect();
    let mut times: Vec<i64> = Vec::with_capacity(BATCH_ROWS);

    let mut writer = match output {
        Some(path) => {
            let file = File::create(path).map_err(ValidationError::io(path))?;
            let mut fields = vec![Field::new(TIME_COLUMN.into(), DataType::Int64)];
            fields.extend(
                kept.iter()
                    .zip(&builders)
                    .map(|(&i, b)| Field::new(profile.columns[i].as_str().into(), b.dtype())),
            );
            let schema = Schema::from_iter(fields);
            Some(
                ParquetWriter::new(file)
                    .with_compression(ParquetCompression::Snappy)
                    .batched(&schema)
                    .map_err(ValidationError::polars("start Parquet output"))?,
            )
        }
        None => None,
    };

    let mut flush = |times: &mut Vec<i64>, builders: &mut Vec<Builder>| -> Result<(), ValidationError> {
        let height = times.len();
        let mut columns = vec![Column::new(TIME_COLUMN.into(), std::mem::take(times))];
        for (&i, builder) in kept.iter().zip(builders.iter_mut()) {
            columns.push(builder.take_column(&profile.columns[i]));
        }
        if let Some(writer) = writer.as_mut() {
            let frame = DataFrame::new(height, columns).map_err(ValidationError::polars("assemble batch"))?;
            writer
                .write_batch(&frame)
                .map_err(ValidationError::polars("write Parquet batch"))?;
        }
        Ok(())
    };

    let (mut accepted, mut rejected, mut mistyped) = (0u64, 0u64, 0u64);
    let mut row: Vec<Cell> = Vec::new();
    while let Some(meta) = source
        .next_row(&mut row)
        .map_err(|f| ValidationError::Changed(f.message))?
    {
        if source.checks_field_count() && meta.field_count != profile.columns.len() {
            return Err(ValidationError::Changed(format!("line {} changed between passes", meta.line)));
        }
        row.resize(profile.columns.len(), Cell::Null);
        let time = match profile.time.column {
            Some((index, format)) => time_of(&row[index], format),
            None => Some(profile.time.constant),
        };
        let Some(time) = time else {
            rejected += 1;
            if rejected <= MAX_LINES_PER_KIND as u64 {
                let (index, _) = profile.time.column.unwrap_or_default();
                let column = profile.columns[index].as_str();
                problems.push(
                    ingest_domain::Severity::Warning,
                    "row_without_time",
                    format!("line {} was rejected: its {column:?} value is empty or not a readable time", meta.line),
                    Some(meta.line),
                    Some(column),
                );
            }
            continue;
        };
        times.push(time);
        for (&i, builder) in kept.iter().zip(builders.iter_mut()) {
            if !builder.push(&row[i]) {
                mistyped += 1;
                if mistyped <= MAX_LINES_PER_KIND as u64 {
                    problems.push(
                        ingest_domain::Severity::Warning,
                        "value_not_of_column_type",
                        format!("line {}: value does not fit the column's type and was stored as null", meta.line),
                        Some(meta.line),
                        Some(&profile.columns[i]),
                    );
                }
            }
        }
        accepted += 1;
        if times.len() >= BATCH_ROWS {
            flush(&mut times, &mut builders)?;
        }
    }
    if !times.is_empty() || accepted == 0 {
        flush(&mut times, &mut builders)?;
    }
    drop(flush);
    if let Some(writer) = writer {
        writer.finish().map_err(ValidationError::polars("finish Parquet output"))?;
    }
    if rejected > MAX_LINES_PER_KIND as u64 {
        problems.push(
            ingest_domain::Severity::Warning,
            "rows_without_time",
            format!("{rejected} rows in all were rejected for an empty or unreadable time"),
            None,
            None,
        );
    }
    Ok(Written {
        rows_accepted: accepted,
        rows_rejected: rejected,
    })
}
