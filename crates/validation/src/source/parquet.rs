//! Parquet read with Polars one slice of rows at a time, so a large file is
//! never loaded whole.

use std::{fs::File, path::Path, path::PathBuf};

use polars::prelude::*;

use super::{Cell, ReadFailure, RowMeta, RowSource};
use crate::ValidationError;

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

impl ParquetSource {
    pub fn open(path: &Path) -> Result<Self, super::OpenError> {
        let file = File::open(path).map_err(ValidationError::io(path))?;
        let mut reader = ParquetReader::new(file);
        let schema = reader.schema().map_err(|e| unreadable(&e))?;
        let total_rows = reader.num_rows().map_err(|e| unreadable(&e))?;
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
