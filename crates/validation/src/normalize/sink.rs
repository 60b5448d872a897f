//! Where accepted rows go: Parquet row groups of `group_rows` rows
//! (Polars, Snappy), NDJSON lines, or nowhere (only counted). Rows arrive
//! already converted, a batch at a time and in file order, so the row groups
//! are cut at the same rows whatever the number of threads.

use std::{
    fs::File,
    io::{BufWriter, Write},
    path::Path,
};

use ingest_domain::ColumnType;
use polars::prelude::*;

use super::{Layout, OutputFormat, Typed, TIME_COLUMN};
use crate::ValidationError;

/// Rows in one Parquet row group, at most.
const ROW_GROUP_ROWS: usize = 65_536;
/// Cells held for one row group, at most: a row group is built in memory
/// (and copied once more by Polars), so a wide file gets shorter groups —
/// 2,000 columns of 65,536 rows held ~3 GB.
const ROW_GROUP_CELLS: usize = 1 << 22;
/// Rows in one row group, at the least, however wide the file.
const MIN_GROUP_ROWS: usize = 256;

/// Rows in one row group of a file with `columns` columns (besides the
/// time): 65,536 up to 63 columns, fewer for wider files.
fn group_rows(columns: usize) -> usize {
    (ROW_GROUP_CELLS / (columns + 1)).clamp(MIN_GROUP_ROWS, ROW_GROUP_ROWS)
}

/// One column of rows, typed.
pub(super) enum Builder {
    Long(Vec<Option<i64>>),
    Double(Vec<Option<f64>>),
    Bool(Vec<Option<bool>>),
    Text(Texts),
}

/// A text column's values in one buffer, each a span of it (`None`: null):
/// a value costs no allocation of its own, as a `String` each did.
#[derive(Default)]
pub(super) struct Texts {
    text: String,
    spans: Vec<Option<(usize, usize)>>,
}

impl Texts {
    fn with_capacity(values: usize) -> Self {
        Self {
            text: String::new(),
            spans: Vec::with_capacity(values),
        }
    }

    fn push(&mut self, value: Option<&str>) {
        let span = value.map(|value| {
            let start = self.text.len();
            self.text.push_str(value);
            (start, self.text.len())
        });
        self.spans.push(span);
    }

    fn values(&self) -> impl Iterator<Item = Option<&str>> {
        self.spans
            .iter()
            .map(|span| span.map(|(start, end)| &self.text[start..end]))
    }

    /// Moves the first `n` values of `from` to the end of this one.
    fn take_front(&mut self, from: &mut Self, n: usize) {
        if n == from.spans.len() && self.spans.is_empty() {
            std::mem::swap(self, from);
            return;
        }
        for value in from.values().take(n) {
            self.push(value);
        }
        // A batch is cut at most once per row group: copying its rest then
        // costs less than keeping an offset into it.
        let mut rest = Self::with_capacity(from.spans.len() - n);
        for value in from.values().skip(n) {
            rest.push(value);
        }
        *from = rest;
    }
}

impl Builder {
    pub(super) fn for_type(column_type: ColumnType, capacity: usize) -> Self {
        match column_type {
            ColumnType::Long => Self::Long(Vec::with_capacity(capacity)),
            ColumnType::Double => Self::Double(Vec::with_capacity(capacity)),
            ColumnType::Boolean => Self::Bool(Vec::with_capacity(capacity)),
            ColumnType::Timestamp | ColumnType::String => {
                Self::Text(Texts::with_capacity(capacity))
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

    pub(super) fn push(&mut self, value: Typed<'_>) {
        match (self, value) {
            (Self::Long(v), Typed::Long(x)) => v.push(Some(x)),
            (Self::Double(v), Typed::Double(x)) => v.push(Some(x)),
            (Self::Bool(v), Typed::Bool(x)) => v.push(Some(x)),
            (Self::Text(v), Typed::Text(x)) => v.push(Some(x.as_ref())),
            (Self::Long(v), _) => v.push(None),
            (Self::Double(v), _) => v.push(None),
            (Self::Bool(v), _) => v.push(None),
            (Self::Text(v), _) => v.push(None),
        }
    }

    /// Moves the first `n` values of `from` (a column of the same type) to
    /// the end of this one.
    fn take_front(&mut self, from: &mut Self, n: usize) {
        match (self, from) {
            (Self::Long(to), Self::Long(from)) => to.extend(from.drain(..n)),
            (Self::Double(to), Self::Double(from)) => to.extend(from.drain(..n)),
            (Self::Bool(to), Self::Bool(from)) => to.extend(from.drain(..n)),
            (Self::Text(to), Self::Text(from)) => to.take_front(from, n),
            // Both come from the same layout's types.
            _ => unreachable!("columns of one layout have one type each"),
        }
    }

    fn take_column(&mut self, name: &str) -> Column {
        let name = PlSmallStr::from(name);
        match self {
            Self::Long(v) => Column::new(name, std::mem::take(v)),
            Self::Double(v) => Column::new(name, std::mem::take(v)),
            Self::Bool(v) => Column::new(name, std::mem::take(v)),
            Self::Text(v) => {
                let column = Column::new(name, v.values().collect::<Vec<_>>());
                *v = Texts::with_capacity(v.spans.len());
                column
            }
        }
    }
}

/// Accepted rows of one batch, converted: what a `Sink` appends.
pub(super) enum Rows {
    Count,
    Parquet {
        times: Vec<i64>,
        columns: Vec<Builder>,
    },
    /// Complete lines.
    Ndjson(Vec<u8>),
}

impl Rows {
    pub(super) fn new(output: Option<OutputFormat>, layout: &Layout<'_>, capacity: usize) -> Self {
        match output {
            None => Self::Count,
            Some(OutputFormat::Ndjson) => Self::Ndjson(Vec::new()),
            Some(OutputFormat::Parquet) => Self::Parquet {
                times: Vec::with_capacity(capacity),
                columns: layout
                    .types
                    .iter()
                    .map(|t| Builder::for_type(*t, capacity))
                    .collect(),
            },
        }
    }

    /// Adds one accepted row; `values` is left empty.
    pub(super) fn push(&mut self, time: i64, values: &mut Vec<Typed<'_>>, layout: &Layout<'_>) {
        match self {
            Self::Count => values.clear(),
            Self::Ndjson(out) => {
                write_json_line(out, time, values, layout);
                values.clear();
            }
            Self::Parquet { times, columns } => {
                times.push(time);
                for (column, value) in columns.iter_mut().zip(values.drain(..)) {
                    column.push(value);
                }
            }
        }
    }
}

/// A field of an NDJSON line: the row's time or a written column's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum JsonField {
    Time,
    Value(usize),
}

/// The fields of every NDJSON line, as they are written: each name already
/// escaped and followed by `:`, in the order a `serde_json::Map` (a
/// `BTreeMap` in our build) of `__time` then the columns gives, a later
/// column of the same name replacing an earlier one, as the map's `insert`
/// did. Computed once per file instead of building a map per row.
pub(super) fn json_fields(names: &[&str]) -> Vec<(Vec<u8>, JsonField)> {
    let mut fields = std::collections::BTreeMap::new();
    fields.insert(TIME_COLUMN, JsonField::Time);
    for (index, name) in names.iter().enumerate() {
        fields.insert(*name, JsonField::Value(index));
    }
    fields
        .into_iter()
        .map(|(name, field)| {
            // Serializing a `&str` into memory cannot fail.
            let mut key = serde_json::to_vec(name).unwrap_or_default();
            key.push(b':');
            (key, field)
        })
        .collect()
}

/// One row as one JSON object and a newline, byte for byte what
/// `serde_json::to_writer` gives for the row's `serde_json::Map` (each
/// value goes through serde_json's own number and string formatting).
fn write_json_line(out: &mut Vec<u8>, time: i64, values: &[Typed<'_>], layout: &Layout<'_>) {
    out.push(b'{');
    for (n, (key, field)) in layout.json.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        out.extend_from_slice(key);
        // Writing a number or a string into memory cannot fail.
        let _ = match field {
            JsonField::Time => serde_json::to_writer(&mut *out, &time),
            JsonField::Value(index) => match values.get(*index) {
                None | Some(Typed::Null) => {
                    out.extend_from_slice(b"null");
                    Ok(())
                }
                Some(Typed::Long(x)) => serde_json::to_writer(&mut *out, x),
                // Not finite: `null`, as `Value::from_f64` made it.
                Some(Typed::Double(x)) => serde_json::to_writer(&mut *out, x),
                Some(Typed::Bool(x)) => serde_json::to_writer(&mut *out, x),
                Some(Typed::Text(x)) => serde_json::to_writer(&mut *out, x.as_ref()),
            },
        };
    }
    out.extend_from_slice(b"}\n");
}

/// Where accepted rows go, batch by batch.
pub(super) enum Sink {
    Count,
    Parquet {
        writer: Box<polars::io::parquet::write::BatchedWriter<File>>,
        times: Vec<i64>,
        builders: Vec<Builder>,
        group_rows: usize,
    },
    Ndjson(BufWriter<File>),
}

impl Sink {
    pub(super) fn open(
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
                let group_rows = group_rows(layout.types.len());
                let builders: Vec<Builder> = layout
                    .types
                    .iter()
                    .map(|t| Builder::for_type(*t, group_rows))
                    .collect();
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
                    // Polars' default, said here because it was measured
                    // (BENCHMARKS.md, "Second pass on every core"): a row
                    // group's columns are encoded on Polars' thread pool.
                    .set_parallel(true)
                    .batched(&Schema::from_iter(fields))
                    .map_err(ValidationError::polars("start Parquet output"))?;
                Ok(Self::Parquet {
                    writer: Box::new(writer),
                    times: Vec::with_capacity(group_rows),
                    builders,
                    group_rows,
                })
            }
        }
    }

    /// Appends a batch's accepted rows, writing a row group each time
    /// `group_rows` rows are held.
    pub(super) fn append(
        &mut self,
        rows: Rows,
        layout: &Layout<'_>,
        path: &Path,
    ) -> Result<(), ValidationError> {
        match (self, rows) {
            (Self::Ndjson(out), Rows::Ndjson(lines)) => {
                out.write_all(&lines).map_err(ValidationError::io(path))
            }
            (
                Self::Parquet {
                    writer,
                    times,
                    builders,
                    group_rows,
                },
                Rows::Parquet {
                    times: mut more,
                    mut columns,
                },
            ) => {
                while !more.is_empty() {
                    let n = (*group_rows - times.len()).min(more.len());
                    times.extend(more.drain(..n));
                    for (builder, column) in builders.iter_mut().zip(&mut columns) {
                        builder.take_front(column, n);
                    }
                    if times.len() >= *group_rows {
                        write_group(writer, times, builders, layout)?;
                    }
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    pub(super) fn finish(
        mut self,
        layout: &Layout<'_>,
        path: Option<&Path>,
    ) -> Result<(), ValidationError> {
        if let Self::Parquet {
            writer,
            times,
            builders,
            ..
        } = &mut self
        {
            if !times.is_empty() {
                write_group(writer, times, builders, layout)?;
            }
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

/// Writes the rows held as one row group.
fn write_group(
    writer: &mut polars::io::parquet::write::BatchedWriter<File>,
    times: &mut Vec<i64>,
    builders: &mut [Builder],
    layout: &Layout<'_>,
) -> Result<(), ValidationError> {
    let height = times.len();
    let mut columns = vec![Column::new(TIME_COLUMN.into(), std::mem::take(times))];
    columns.extend(
        layout
            .names
            .iter()
            .zip(builders.iter_mut())
            .map(|(n, b)| b.take_column(n)),
    );
    let frame =
        DataFrame::new(height, columns).map_err(ValidationError::polars("assemble batch"))?;
    writer
        .write_batch(&frame)
        .map_err(ValidationError::polars("write Parquet batch"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_files_get_shorter_row_groups_within_the_cell_budget() {
        // Narrow files keep Polars-sized groups (the corpus's outputs).
        assert_eq!(group_rows(1), ROW_GROUP_ROWS);
        assert_eq!(group_rows(63), ROW_GROUP_ROWS);
        for columns in [64, 500, 2_000, 100_000] {
            let rows = group_rows(columns);
            assert!(rows < ROW_GROUP_ROWS, "{columns}");
            assert!(rows * (columns + 1) <= ROW_GROUP_CELLS || rows == MIN_GROUP_ROWS);
            assert!(rows >= MIN_GROUP_ROWS);
        }
    }
}
