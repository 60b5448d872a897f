//! The first sheet of an XLSX workbook. calamine reads a sheet whole, which
//! Excel's own limits (about a million rows) keep bounded.

use std::path::Path;

use calamine::{open_workbook, Data, Range, Reader, Xlsx};

use super::{Cell, ReadFailure, RowMeta, RowSource};

pub struct XlsxSource {
    range: Range<Data>,
    columns: Vec<String>,
    /// Sheet row (0-based) of the header.
    header_row: u32,
    /// Next data row, relative to the range start.
    next: usize,
}

impl XlsxSource {
    pub fn open(path: &Path) -> Result<Self, super::OpenError> {
        let unreadable = |e: &dyn std::fmt::Display| ReadFailure {
            code: "unreadable_xlsx",
            message: format!("the workbook cannot be read: {e}"),
            line: None,
        };
        let mut workbook: Xlsx<_> = open_workbook(path).map_err(|e| unreadable(&e))?;
        let range = match workbook.worksheet_range_at(0) {
            Some(Ok(range)) => range,
            Some(Err(e)) => return Err(unreadable(&e).into()),
            None => {
                return Err(ReadFailure {
                    code: "empty_file",
                    message: "the workbook has no sheets".into(),
                    line: None,
                }
                .into())
            }
        };
        let Some(header) = range.rows().next() else {
            return Err(ReadFailure {
                code: "empty_file",
                message: "the first sheet is empty".into(),
                line: None,
            }
            .into());
        };
        let columns = header
            .iter()
            .map(|cell| cell.to_string().trim().to_owned())
            .collect();
        let header_row = range.start().map_or(0, |(row, _)| row);
        Ok(Self {
            range,
            columns,
            header_row,
            next: 1,
        })
    }
}

/// Excel stores every number as a float; whole ones read back as longs.
fn cell_of(data: &Data) -> Cell {
    const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53
    match data {
        Data::Empty | Data::Error(_) => Cell::Null,
        Data::Int(i) => Cell::Long(*i),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < EXACT_INT => Cell::Long(*f as i64),
        Data::Float(f) => Cell::Double(*f),
        Data::Bool(b) => Cell::Bool(*b),
        Data::String(s) => Cell::Text(s.clone()),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map_or(Cell::Null, |t| Cell::Time(t.and_utc().timestamp_millis())),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
    }
}

impl RowSource for XlsxSource {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn header_line(&self) -> u64 {
        u64::from(self.header_row) + 1
    }

    fn next_row(&mut self, row: &mut Vec<Cell>) -> Result<Option<RowMeta>, ReadFailure> {
        let width = self.columns.len();
        while self.next < self.range.height() {
            let at = self.next;
            let line = self.header_line() + at as u64;
            self.next += 1;
            let cells = (0..width).map(|col| self.range.get((at, col)).unwrap_or(&Data::Empty));
            // Formatting often extends a sheet's range past its data.
            if cells.clone().all(|c| matches!(c, Data::Empty)) {
                continue;
            }
            row.clear();
            row.extend(cells.map(cell_of));
            return Ok(Some(RowMeta {
                line,
                field_count: width,
            }));
        }
        Ok(None)
    }
}
