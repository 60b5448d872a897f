//! Parquet read with Polars one slice of rows at a time, so a large file is
//! never loaded whole. The footer is checked before Polars reads it (its
//! size), then its contents (columns, row groups) and its row counts: the
//! file's `num_rows` must be the sum of its row groups', and every slice
//! must hold the rows it promised, so a file that lies is refused rather
//! than padded or cut short.

use std::{
    fs::File,
    io::{Read, Seek, SeekFrom},
    path::Path,
    path::PathBuf,
};

use polars::prelude::*;

use super::{over_limit, Cell, ReadFailure, RowMeta, RowSource};
use crate::{Control, ValidationError};

const BATCH_ROWS: usize = 65_536;

pub struct ParquetSource {
    path: PathBuf,
    columns: Vec<String>,
    total_rows: usize,
    batch: Option<DataFrame>,
    /// Row of the file at the start of `batch`.
    batch_start: usize,
    /// Next row of the file to hand out.
    next: usize,
}

fn unreadable(error: &PolarsError) -> ReadFailure {
    ReadFailure {
        code: "unreadable_parquet",
        message: format!("the Parquet file cannot be read: {error}"),
        line: None,
    }
}

fn lies(message: String) -> ReadFailure {
    ReadFailure {
        code: "parquet_row_count_mismatch",
        message,
        line: None,
    }
}

/// The footer's length, from the last 8 bytes (`<u32 length>PAR1`).
fn footer_len(file: &mut File) -> std::io::Result<Option<u64>> {
    let size = file.seek(SeekFrom::End(0))?;
    if size < 12 {
        return Ok(None);
    }
    file.seek(SeekFrom::End(-8))?;
    let mut tail = [0u8; 8];
    file.read_exact(&mut tail)?;
    file.seek(SeekFrom::Start(0))?;
    let len = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]);
    Ok((&tail[4..] == b"PAR1").then_some(u64::from(len)))
}

impl ParquetSource {
    pub fn open(path: &Path, control: &Control) -> Result<Self, super::OpenError> {
        let limits = control.limits();
        let mut file = File::open(path).map_err(ValidationError::io(path))?;
        if let Some(len) = footer_len(&mut file).map_err(ValidationError::io(path))? {
            if len > limits.parquet_max_footer_bytes {
                return Err(over_limit(
                    "parquet_footer_too_large",
                    "the Parquet footer (its metadata) is too large",
                    format_args!("{len} bytes"),
                    format_args!("{} bytes", limits.parquet_max_footer_bytes),
                    None,
                )
                .into());
            }
        }
        let mut reader = ParquetReader::new(file);
        let metadata = reader.get_metadata().map_err(|e| unreadable(&e))?.clone();
        let row_groups = metadata.row_groups.len();
        if row_groups > limits.parquet_max_row_groups {
            return Err(over_limit(
                "parquet_too_many_row_groups",
                "the Parquet file has too many row groups",
                row_groups,
                limits.parquet_max_row_groups,
                None,
            )
            .into());
        }
        let leaves = metadata.schema_descr.columns().len();
        if leaves > limits.max_columns {
            return Err(over_limit(
                "too_many_columns",
                "the Parquet file has too many columns",
                leaves,
                limits.max_columns,
                None,
            )
            .into());
        }
        let in_groups = metadata
            .row_groups
            .iter()
            .try_fold(0usize, |sum, g| sum.checked_add(g.num_rows()));
        if in_groups != Some(metadata.num_rows) {
            return Err(lies(format!(
                "the Parquet footer declares {} rows but its row groups hold {}",
                metadata.num_rows,
                in_groups.map_or_else(|| "more than can be counted".into(), |n| n.to_string())
            ))
            .into());
        }
        let schema = reader.schema().map_err(|e| unreadable(&e))?;
        let total_rows = metadata.num_rows;
        Ok(Self {
            path: path.to_owned(),
            columns: schema.iter_names().map(|n| n.to_string()).collect(),
            total_rows,
            batch: None,
            batch_start: 0,
            next: 0,
        })
    }

    fn load_batch(&mut self) -> Result<(), ReadFailure> {
        let file = File::open(&self.path).map_err(|e| ReadFailure {
            code: "unreadable_parquet",
            message: format!("the Parquet file cannot be reopened: {e}"),
            line: None,
        })?;
        let len = BATCH_ROWS.min(self.total_rows - self.next);
        let mut frame = ParquetReader::new(file)
            .with_slice(Some((self.next, len)))
            .finish()
            .map_err(|e| unreadable(&e))?;
        if frame.height() != len {
            return Err(lies(format!(
                "the Parquet file declares {} rows but rows {} to {} read as {} rows",
                self.total_rows,
                self.next + 1,
                self.next + len,
                frame.height()
            )));
        }
        frame.rechunk_mut();
        self.batch = Some(frame);
        self.batch_start = self.next;
        Ok(())
    }
}

fn cell_of(value: AnyValue<'_>) -> Cell {
    match value {
        AnyValue::Null => Cell::Null,
        AnyValue::Boolean(b) => Cell::Bool(b),
        AnyValue::String(s) => Cell::Text(s.to_owned()),
        AnyValue::StringOwned(s) => Cell::Text(s.to_string()),
        AnyValue::Int8(v) => Cell::Long(v.into()),
        AnyValue::Int16(v) => Cell::Long(v.into()),
        AnyValue::Int32(v) => Cell::Long(v.into()),
        AnyValue::Int64(v) => Cell::Long(v),
        AnyValue::UInt8(v) => Cell::Long(v.into()),
        AnyValue::UInt16(v) => Cell::Long(v.into()),
        AnyValue::UInt32(v) => Cell::Long(v.into()),
        AnyValue::UInt64(v) => {
            i64::try_from(v).map_or_else(|_| Cell::Text(v.to_string()), Cell::Long)
        }
        AnyValue::Float32(v) => Cell::Double(v.into()),
        AnyValue::Float64(v) => Cell::Double(v),
        AnyValue::Date(days) => Cell::Time(i64::from(days) * 86_400_000),
        AnyValue::Datetime(v, unit, _) | AnyValue::DatetimeOwned(v, unit, _) => {
            Cell::Time(match unit {
                TimeUnit::Milliseconds => v,
                TimeUnit::Microseconds => v.div_euclid(1_000),
                TimeUnit::Nanoseconds => v.div_euclid(1_000_000),
            })
        }
        other => Cell::Text(other.to_string()),
    }
}

impl RowSource for ParquetSource {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn next_row(&mut self, row: &mut Vec<Cell>) -> Result<Option<RowMeta>, ReadFailure> {
        if self.next >= self.total_rows {
            return Ok(None);
        }
        let in_batch = self
            .batch
            .as_ref()
            .is_some_and(|b| self.next < self.batch_start + b.height());
        if !in_batch {
            self.load_batch()?;
        }
        let Some(batch) = self.batch.as_ref() else {
            return Ok(None);
        };
        let at = self.next - self.batch_start;
        row.clear();
        for column in batch.columns() {
            row.push(column.get(at).map_or(Cell::Null, cell_of));
        }
        self.next += 1;
        Ok(Some(RowMeta {
            line: self.next as u64,
            field_count: row.len(),
        }))
    }
}
