//! One sheet of an XLSX workbook (the one named or numbered, else the first
//! with a value), streamed: a reader thread walks the
//! sheet's XML cell by cell (calamine's cell reader) and hands over one row
//! at a time through a small channel, so memory does not grow with the sheet.
//! Only the shared-strings table is held whole, as the format requires.
//!
//! The header is the first row with a value; columns span its first to last
//! named cell. A value outside that span makes the row "ragged", so no cell
//! is ever dropped without a word.
//!
//! Nothing read from the sheet sizes an allocation: the archive is checked
//! first (`zip_check`), a cell outside Excel's grid (beyond XFD) fails the
//! file, cells may come in any order within a row, and a row holds at most
//! as many cells as the grid has columns.

use std::{
    path::{Path, PathBuf},
    sync::mpsc::{sync_channel, Receiver, SyncSender},
    thread::JoinHandle,
};

use calamine::{open_workbook, Data, DataRef, Reader, Xlsx};
use ingest_domain::Sheet;

use super::zip_check::{self, MAX_SHEET_COLUMNS, MAX_SHEET_ROWS};
use super::{over_limit, Cell, ReadFailure, RowMeta, RowSource};
use crate::Control;

/// Rows read ahead of the validator.
const ROWS_IN_FLIGHT: usize = 64;

/// The non-empty cells of one sheet row, by 0-based column.
struct SheetRow {
    /// 0-based sheet row.
    index: u32,
    cells: Vec<(u32, Data)>,
}

type Message = Result<SheetRow, ReadFailure>;

pub struct XlsxSource {
    rows: Receiver<Message>,
    sheets: Vec<Sheet>,
    reader: Option<JoinHandle<()>>,
    columns: Vec<String>,
    /// 0-based sheet row of the header.
    header_row: u32,
    /// 0-based sheet column of the first header cell.
    first_column: u32,
}

fn unreadable(error: &dyn std::fmt::Display) -> ReadFailure {
    ReadFailure {
        code: "unreadable_xlsx",
        message: format!("the workbook cannot be read: {error}"),
        line: None,
    }
}

fn out_of_grid(row: u32, column: u32) -> ReadFailure {
    ReadFailure {
        code: "xlsx_cell_out_of_range",
        message: format!(
            "the sheet has a cell at row {}, column {}: outside Excel's grid (the limit is XFD1048576)",
            u64::from(row) + 1,
            u64::from(column) + 1
        ),
        line: Some(u64::from(row) + 1),
    }
}

fn empty(message: &str) -> ReadFailure {
    ReadFailure {
        code: "empty_file",
        message: message.into(),
        line: None,
    }
}

/// Lists the sheets (with their declared sizes) and picks the one to read:
/// `wanted` by name (exact, then ignoring case) or 1-based number, else the
/// first that holds a value.
fn choose_sheet<R: std::io::Read + std::io::Seek>(
    workbook: &mut Xlsx<R>,
    wanted: Option<&str>,
) -> Result<(String, Vec<Sheet>), ReadFailure> {
    let names = workbook.sheet_names();
    if names.is_empty() {
        return Err(empty("the workbook has no sheets"));
    }
    let mut sheets = Vec::with_capacity(names.len());
    let mut first_with_value = None;
    for (index, name) in names.iter().enumerate() {
        let mut cells = workbook
            .worksheet_cells_reader(name)
            .map_err(|e| unreadable(&e))?;
        let size = cells.dimensions();
        let span = |end: u32, start: u32| u64::from(end.saturating_sub(start)) + 1;
        let (rows, columns) = if size.len() == 0 {
            (0, 0)
        } else {
            (
                span(size.end.0, size.start.0),
                span(size.end.1, size.start.1),
            )
        };
        if wanted.is_none() && first_with_value.is_none() {
            while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
                if !matches!(cell.get_value(), DataRef::Empty) {
                    first_with_value = Some(index);
                    break;
                }
            }
        }
        sheets.push(Sheet {
            name: name.clone(),
            rows,
            columns,
            chosen: false,
        });
    }
    let chosen = match wanted.map(str::trim) {
        None => first_with_value.unwrap_or(0),
        Some(wanted) => names
            .iter()
            .position(|n| n == wanted)
            .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(wanted)))
            .or_else(|| {
                let number: usize = wanted.parse().ok()?;
                (1..=names.len()).contains(&number).then(|| number - 1)
            })
            .ok_or_else(|| ReadFailure {
                code: "sheet_not_found",
                message: format!(
                    "the workbook has no sheet named or numbered {wanted:?}; its sheets are {}",
                    names
                        .iter()
                        .enumerate()
                        .map(|(i, n)| format!("{} {n:?}", i + 1))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                line: None,
            })?,
    };
    sheets[chosen].chosen = true;
    Ok((names[chosen].clone(), sheets))
}

/// The reader thread: sends the sheet list, then each row with a value, in
/// sheet order, then ends (or sends the failure). Stops early when the
/// receiver is gone.
fn read_sheet(
    path: &Path,
    wanted: Option<&str>,
    listed: &SyncSender<Vec<Sheet>>,
    rows: &SyncSender<Message>,
) -> Result<(), ReadFailure> {
    let mut workbook: Xlsx<_> = open_workbook(path).map_err(|e| unreadable(&e))?;
    let (chosen, sheets) = choose_sheet(&mut workbook, wanted)?;
    listed.send(sheets).ok();
    let mut cells = workbook
        .worksheet_cells_reader(&chosen)
        .map_err(|e| unreadable(&e))?;
    let mut current: Option<SheetRow> = None;
    while let Some(cell) = cells.next_cell().map_err(|e| unreadable(&e))? {
        let ((row, column), value) = (cell.get_position(), Data::from(cell.get_value().clone()));
        if column >= MAX_SHEET_COLUMNS || row >= MAX_SHEET_ROWS {
            return Err(out_of_grid(row, column));
        }
        // Formatting alone makes empty cells; they carry nothing.
        if matches!(value, Data::Empty) {
            continue;
        }
        match current.as_mut() {
            Some(open) if open.index == row => {
                // Only repeated cells can exceed the grid's width.
                if open.cells.len() >= MAX_SHEET_COLUMNS as usize {
                    return Err(unreadable(&format_args!(
                        "row {} has more cells than a sheet has columns",
                        u64::from(row) + 1
                    )));
                }
                open.cells.push((column, value));
            }
            _ => {
                let next = SheetRow {
                    index: row,
                    cells: vec![(column, value)],
                };
                if let Some(done) = current.replace(next) {
                    if rows.send(Ok(done)).is_err() {
                        return Ok(());
                    }
                }
            }
        }
    }
    if let Some(done) = current {
        rows.send(Ok(done)).ok();
    }
    Ok(())
}

impl XlsxSource {
    /// Checks the archive against `control`'s limits before any parser
    /// trusts it, then opens the first sheet.
    pub fn open(
        path: &Path,
        sheet: Option<&str>,
        control: &Control,
    ) -> Result<Self, super::OpenError> {
        zip_check::check(path, control)?;
        Self::reopen(path, sheet, control)
    }

    /// Opens a workbook that `open` already checked: the writing pass reads
    /// the same file again and need not inflate the whole archive twice (the
    /// header's width is still checked: it is cheap).
    pub fn reopen(
        path: &Path,
        sheet: Option<&str>,
        control: &Control,
    ) -> Result<Self, super::OpenError> {
        let (sender, rows) = sync_channel(ROWS_IN_FLIGHT);
        let (list_sender, listed) = sync_channel(1);
        let owned: PathBuf = path.to_owned();
        let wanted = sheet.map(str::to_owned);
        let reader = std::thread::Builder::new()
            .name("xlsx-reader".into())
            .spawn(move || {
                if let Err(failure) = read_sheet(&owned, wanted.as_deref(), &list_sender, &sender) {
                    sender.send(Err(failure)).ok();
                }
            })
            .map_err(crate::ValidationError::io(path))?;
        // Sent before any row; nothing when the workbook cannot be read (the
        // failure then comes as the first row).
        let sheets: Vec<Sheet> = listed.recv().unwrap_or_default();
        let name = sheets
            .iter()
            .find(|s| s.chosen)
            .map_or_else(String::new, |s| s.name.clone());
        let mut source = Self {
            rows,
            sheets,
            reader: Some(reader),
            columns: Vec::new(),
            header_row: 0,
            first_column: 0,
        };
        let header = source.receive()?.ok_or_else(|| match sheet {
            Some(_) => empty(&format!("the sheet {name:?} is empty")),
            None => empty("every sheet of the workbook is empty"),
        })?;
        // Cells may come in any order: the span is from the lowest to the
        // highest column, and it is a header's width, so it is bounded.
        let first_column = header.cells.iter().map(|(c, _)| *c).min().unwrap_or(0);
        let last_column = header.cells.iter().map(|(c, _)| *c).max().unwrap_or(0);
        let width = (last_column - first_column) as usize + 1;
        let max_columns = control.limits().max_columns;
        if width > max_columns {
            return Err(over_limit(
                "too_many_columns",
                format_args!(
                    "the header row (sheet row {}) spans too many columns",
                    u64::from(header.index) + 1
                ),
                width,
                max_columns,
                Some(u64::from(header.index) + 1),
            )
            .into());
        }
        let mut columns = vec![String::new(); width];
        for (column, value) in &header.cells {
            columns[(column - first_column) as usize] = value.to_string().trim().to_owned();
        }
        source.columns = columns;
        source.header_row = header.index;
        source.first_column = first_column;
        Ok(source)
    }

    /// The next row from the reader thread; `None` at the end. A reader that
    /// died (a panic inside the XLSX parser) is a failure, never an early end.
    fn receive(&mut self) -> Result<Option<SheetRow>, ReadFailure> {
        match self.rows.recv() {
            Ok(message) => message.map(Some),
            Err(_) => match self.reader.take().map(JoinHandle::join) {
                Some(Err(_)) => Err(unreadable(&"the XLSX reader stopped unexpectedly")),
                _ => Ok(None),
            },
        }
    }
}

/// Excel stores every number as a float; whole ones read back as longs.
fn cell_of(data: Data) -> Cell {
    const EXACT_INT: f64 = 9_007_199_254_740_992.0; // 2^53
    match data {
        Data::Empty | Data::Error(_) => Cell::Null,
        Data::Int(i) => Cell::Long(i),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < EXACT_INT => Cell::Long(f as i64),
        Data::Float(f) => Cell::Double(f),
        Data::Bool(b) => Cell::Bool(b),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s),
        Data::DateTime(dt) => dt
            .as_datetime()
            .map_or(Cell::Null, |t| Cell::Time(t.and_utc().timestamp_millis())),
    }
}

impl RowSource for XlsxSource {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn sheets(&self) -> &[Sheet] {
        &self.sheets
    }

    fn header_line(&self) -> u64 {
        u64::from(self.header_row) + 1
    }

    fn checks_field_count(&self) -> bool {
        true
    }

    fn next_row(&mut self, row: &mut Vec<Cell>) -> Result<Option<RowMeta>, ReadFailure> {
        let Some(sheet_row) = self.receive()? else {
            return Ok(None);
        };
        let width = self.columns.len() as u32;
        let (first, last) = (self.first_column, self.first_column + width - 1);
        let (mut lowest, mut highest) = (first, last);
        row.clear();
        row.resize(width as usize, Cell::Null);
        for (column, value) in sheet_row.cells {
            lowest = lowest.min(column);
            highest = highest.max(column);
            if (first..=last).contains(&column) {
                row[(column - first) as usize] = cell_of(value);
            }
        }
        Ok(Some(RowMeta {
            line: u64::from(sheet_row.index) + 1,
            // The header's width unless a value lies outside it.
            field_count: (highest - lowest + 1) as usize,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_xlsxwriter::Workbook;

    fn book(fill: impl FnOnce(&mut rust_xlsxwriter::Worksheet)) -> tempfile::NamedTempFile {
        let mut workbook = Workbook::new();
        fill(workbook.add_worksheet());
        let file = tempfile::Builder::new()
            .suffix(".xlsx")
            .tempfile()
            .expect("temp");
        workbook.save(file.path()).expect("save");
        file
    }

    fn read_all(source: &mut XlsxSource) -> Vec<(RowMeta, Vec<Cell>)> {
        let mut out = Vec::new();
        let mut row = Vec::new();
        while let Some(meta) = source.next_row(&mut row).expect("row") {
            out.push((meta, row.clone()));
        }
        out
    }

    #[test]
    fn streams_rows_with_sheet_line_numbers_and_skips_empty_rows() {
        let file = book(|sheet| {
            sheet.write_string(1, 1, "name").expect("write");
            sheet.write_string(1, 2, "units").expect("write");
            sheet.write_string(2, 1, "a").expect("write");
            sheet.write_number(2, 2, 3.0).expect("write");
            // Row 4 (index 3) is empty; row 5 has a gap in the first column.
            sheet.write_number(4, 2, 2.5).expect("write");
        });
        let mut source = XlsxSource::open(file.path(), None, &Control::default()).expect("opens");
        assert_eq!(source.columns(), ["name", "units"]);
        assert_eq!(source.header_line(), 2);
        let rows = read_all(&mut source);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].0.line, 3);
        assert_eq!(rows[0].1, [Cell::Text("a".into()), Cell::Long(3)]);
        assert_eq!(rows[1].0.line, 5);
        assert_eq!(rows[1].1, [Cell::Null, Cell::Double(2.5)]);
        assert!(rows.iter().all(|(meta, _)| meta.field_count == 2));
    }

    #[test]
    fn a_value_outside_the_header_makes_the_row_ragged() {
        let file = book(|sheet| {
            sheet.write_string(0, 1, "a").expect("write");
            sheet.write_string(0, 2, "b").expect("write");
            sheet.write_number(1, 1, 1.0).expect("write");
            sheet.write_number(2, 0, 9.0).expect("write"); // left of the header
            sheet.write_number(3, 4, 9.0).expect("write"); // right of the header
        });
        let mut source = XlsxSource::open(file.path(), None, &Control::default()).expect("opens");
        let counts: Vec<usize> = read_all(&mut source)
            .iter()
            .map(|(meta, _)| meta.field_count)
            .collect();
        assert_eq!(counts, [2, 3, 4]);
    }

    #[test]
    fn an_empty_sheet_is_reported() {
        let file = book(|_| {});
        match XlsxSource::open(file.path(), None, &Control::default()) {
            Err(super::super::OpenError::Content(failure)) => {
                assert_eq!(failure.code, "empty_file")
            }
            Err(other) => panic!("unexpected error: {other:?}"),
            Ok(_) => panic!("an empty sheet opened"),
        }
    }

    #[test]
    fn dropping_the_source_early_stops_the_reader() {
        let file = book(|sheet| {
            sheet.write_string(0, 0, "n").expect("write");
            for i in 1..5_000u32 {
                sheet.write_number(i, 0, f64::from(i)).expect("write");
            }
        });
        let mut source = XlsxSource::open(file.path(), None, &Control::default()).expect("opens");
        let mut row = Vec::new();
        assert!(source.next_row(&mut row).expect("row").is_some());
        let reader = source.reader.take().expect("thread");
        drop(source);
        reader.join().expect("the reader ends once nobody listens");
    }
}
