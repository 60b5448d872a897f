//! Every input format read as the same thing: a header, then rows of cells,
//! one row at a time, so memory does not grow with the file.

mod csv;
pub(crate) mod encoding;
mod ndjson;
mod parquet;
mod records;
pub(crate) mod text;
mod xlsx;
mod zip_check;

use std::path::Path;

use ingest_domain::FileFormat;

pub use records::Record;

use crate::{Control, ValidationError};

/// One cell as the source gives it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Text(String),
    Long(i64),
    Double(f64),
    Bool(bool),
    /// A typed time, in epoch milliseconds.
    Time(i64),
}

impl Cell {
    /// Overwrites the cell with text, reusing its allocation.
    pub fn set_text(&mut self, text: &str) {
        if let Cell::Text(existing) = self {
            existing.clear();
            existing.push_str(text);
        } else {
            *self = Cell::Text(text.to_owned());
        }
    }
}

/// A row read from the file: where it was, and how many fields it had
/// before it was fitted to the header.
#[derive(Debug, Clone, Copy)]
pub struct RowMeta {
    /// 1-based line (text formats) or sheet row (XLSX) where the row starts.
    pub line: u64,
    pub field_count: usize,
}

/// A problem that makes the file unreadable from some point on.
#[derive(Debug, Clone)]
pub struct ReadFailure {
    pub code: &'static str,
    pub message: String,
    pub line: Option<u64>,
}

pub trait RowSource {
    /// Column names, in file order. May grow while reading NDJSON.
    fn columns(&self) -> &[String];
    /// Reads the next row into `row`, fitted to `columns()` (missing cells
    /// become `Null`). Extra fields beyond the header are dropped from
    /// `row` but counted in `RowMeta::field_count`.
    fn next_row(&mut self, row: &mut Vec<Cell>) -> Result<Option<RowMeta>, ReadFailure>;
    /// `next_row` for a caller that can take a row as one text: a source
    /// whose row is that (CSV, once the record is UTF-8) gives it to `text`
    /// with its fields' ranges instead of copying each field into `row`,
    /// and says so (`true`; `row` is then left as it was).
    fn next_row_or_text(
        &mut self,
        row: &mut Vec<Cell>,
        text: &mut dyn FnMut(&str, &Record<'_>),
    ) -> Result<Option<(RowMeta, bool)>, ReadFailure> {
        let _ = text;
        Ok(self.next_row(row)?.map(|meta| (meta, false)))
    }
    /// Line of the header, for reporting (1 for most files).
    fn header_line(&self) -> u64 {
        1
    }
    /// Whether a row's field count can differ from the header's.
    fn checks_field_count(&self) -> bool {
        false
    }
    /// The field delimiter in use (given or sniffed), for delimited text.
    fn delimiter(&self) -> Option<u8> {
        None
    }
    /// How a text file was decompressed and decoded.
    fn text_info(&self) -> Option<&text::TextInfo> {
        None
    }
    /// A workbook's sheets.
    fn sheets(&self) -> &[ingest_domain::Sheet] {
        &[]
    }
    /// Why the row last read cannot be used at all, e.g. bytes its encoding
    /// cannot decode (its cells are then empty): the row is rejected on its
    /// own, within the upload's rejection budget.
    fn row_defect(&self) -> Option<ReadFailure> {
        None
    }
    /// The row last read as the file has it (invalid bytes replaced), for
    /// the rejected-rows file; `None` where the format has no row text (its
    /// cells are written instead).
    fn raw_row(&self) -> Option<String> {
        None
    }
    /// `Some(delimiter)` when `raw_row` of every row that is neither
    /// defective nor of the wrong width is exactly its cells (all text)
    /// joined by `quarantine::join_fields` with `delimiter`: such a row's
    /// text need not be kept while it is read, it can be made again from
    /// its cells if, and only if, the row is rejected.
    fn raw_row_from_cells(&self) -> Option<u8> {
        None
    }
}

/// How to read a file.
#[derive(Debug, Clone, Copy)]
pub struct SourceSpec<'a> {
    pub format: FileFormat,
    /// CSV only; sniffed when `None`.
    pub delimiter: Option<u8>,
    /// Text formats only: the encoding label the uploader gave, overriding
    /// detection.
    pub encoding: Option<&'a str>,
    /// XLSX only: the sheet's name or 1-based number.
    pub sheet: Option<&'a str>,
    /// The first pass already opened this file and checked it against the
    /// limits that need a whole read (the XLSX archive): skip those.
    pub checked: bool,
}

/// Opens a source; `Err(ReadFailure)` when not even the header can be read
/// or the file breaks one of `control`'s limits before any row is read.
pub fn open(
    path: &Path,
    spec: SourceSpec<'_>,
    control: &Control,
) -> Result<Box<dyn RowSource>, OpenError> {
    Ok(match spec.format {
        FileFormat::Csv => Box::new(self::csv::CsvSource::open(
            path,
            spec.delimiter,
            spec.encoding,
            control,
        )?),
        FileFormat::Ndjson => Box::new(ndjson::NdjsonSource::open(path, spec.encoding, control)?),
        FileFormat::Xlsx if spec.checked => {
            Box::new(xlsx::XlsxSource::reopen(path, spec.sheet, control)?)
        }
        FileFormat::Xlsx => Box::new(xlsx::XlsxSource::open(path, spec.sheet, control)?),
        FileFormat::Parquet => Box::new(parquet::ParquetSource::open(path, control)?),
    })
}

/// A limit from `Limits` that the file exceeds: its own code, the limit and
/// what was seen, so the person can tell how far off the file is.
pub(crate) fn over_limit(
    code: &'static str,
    what: impl std::fmt::Display,
    seen: impl std::fmt::Display,
    limit: impl std::fmt::Display,
    line: Option<u64>,
) -> ReadFailure {
    ReadFailure {
        code,
        message: format!("{what}: {seen}, but the limit is {limit}"),
        line,
    }
}

/// Opening failed: either our side (I/O) or the file's content.
#[derive(Debug)]
pub enum OpenError {
    Io(ValidationError),
    Content(ReadFailure),
}

impl From<ReadFailure> for OpenError {
    fn from(failure: ReadFailure) -> Self {
        Self::Content(failure)
    }
}

impl From<ValidationError> for OpenError {
    fn from(error: ValidationError) -> Self {
        Self::Io(error)
    }
}
