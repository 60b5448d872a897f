//! CSV with the delimiter sniffed from the first lines; quoted fields with
//! delimiters, doubled quotes and line breaks; CRLF; a BOM; any encoding
//! and gzip/zstd (see `text`).

use std::{
    io::{Cursor, Read},
    path::Path,
};

use super::records::{Record, RecordTooLarge, Records};
use super::text::{self, TextError, TextInfo};
use super::{over_limit, Cell, ReadFailure, RowMeta, RowSource};
use crate::{Control, ValidationError};

const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
const SNIFF_BYTES: usize = 64 * 1024;
const SNIFF_RECORDS: usize = 50;

pub struct CsvSource {
    /// Read as bytes so that a row with bytes that are not UTF-8 is
    /// rejected alone (see `row_defect`) instead of ending the read.
    records: Records<Box<dyn Read + Send>>,
    delimiter: u8,
    text: TextInfo,
    columns: Vec<String>,
    /// Why the row last read cannot be used: bytes that are not UTF-8, or
    /// that the file's encoding could not decode.
    defect: Option<ReadFailure>,
    max_field_bytes: u64,
}

/// Picks the delimiter that splits the first records into the same number
/// (more than one) of fields most consistently; `,` when nothing does.
pub fn sniff_delimiter(sample: &[u8]) -> u8 {
    let mut best = (b',', 0usize, 0usize);
    for delimiter in CANDIDATES {
        let mut counts = Vec::new();
        let mut rdr = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .has_headers(false)
            .flexible(true)
            .from_reader(sample);
        for record in rdr.records().take(SNIFF_RECORDS) {
            match record {
                Ok(r) => counts.push(r.len()),
                Err(_) => break,
            }
        }
        // The last sampled record may be cut off mid-way.
        if counts.len() > 1 {
            counts.pop();
        }
        let Some(&fields) = counts.first() else {
            continue;
        };
        let agreeing = counts.iter().filter(|&&c| c == fields).count();
        if fields > 1 && (agreeing, fields) > (best.1, best.2) {
            best = (delimiter, agreeing, fields);
        }
    }
    best.0
}

fn failure(error: &std::io::Error) -> ReadFailure {
    if let Some(failure) = TextError::failure_of(error) {
        return failure;
    }
    if let Some(too_large) = RecordTooLarge::from_io(error) {
        return over_limit(
            "record_too_large",
            format_args!("the record starting at line {} is too long", too_large.line),
            format_args!("more than {} bytes", too_large.limit),
            format_args!("{} bytes", too_large.limit),
            Some(too_large.line),
        );
    }
    ReadFailure {
        code: "unreadable_csv",
        message: format!("the CSV cannot be read: {error}"),
        line: None,
    }
}

fn not_utf8(line: u64) -> ReadFailure {
    ReadFailure {
        code: "invalid_utf8",
        message: format!(
            "line {line} is not valid UTF-8, although the start of the file is (so it was read as UTF-8)"
        ),
        line: Some(line),
    }
}

impl CsvSource {
    pub fn open(
        path: &Path,
        delimiter: Option<u8>,
        encoding: Option<&str>,
        control: &Control,
    ) -> Result<Self, super::OpenError> {
        let text = text::open(path, encoding, control)?;
        let mut stream = text.reader;
        let delimiter = match delimiter {
            Some(d) => d,
            None => {
                // Sniffed on the decoded text: a UTF-16 tab is not a 0x09 byte.
                let mut sample = Vec::with_capacity(SNIFF_BYTES);
                (&mut stream)
                    .take(SNIFF_BYTES as u64)
                    .read_to_end(&mut sample)
                    .map_err(|e| match TextError::failure_of(&e) {
                        Some(failure) => super::OpenError::Content(failure),
                        None => super::OpenError::Io(ValidationError::io(path)(e)),
                    })?;
                let delimiter = sniff_delimiter(&sample);
                stream = Box::new(Cursor::new(sample).chain(stream));
                delimiter
            }
        };
        let limits = control.limits();
        let mut records = Records::new(stream, delimiter, limits.max_record_bytes);
        let has_header = records.read().map_err(|e| failure(&e))?;
        if !has_header {
            return Err(ReadFailure {
                code: "empty_file",
                message: "the file has no header line and no data".into(),
                line: None,
            }
            .into());
        }
        let record = records.record();
        let header = record
            .iter()
            .map(std::str::from_utf8)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| not_utf8(record.line()))?;
        if header.len() > limits.max_columns {
            return Err(over_limit(
                "too_many_columns",
                "the header has too many columns",
                header.len(),
                limits.max_columns,
                Some(1),
            )
            .into());
        }
        check_fields(&record, limits.max_field_bytes)?;
        // Column names with bytes the encoding could not decode would be
        // silently wrong: the file fails instead.
        let header_lines = 1 + header
            .iter()
            .map(|f| f.matches('\n').count())
            .sum::<usize>() as u64;
        if text.info.malformed.take_through(1, header_lines) {
            return Err(text::undecodable(&text.info.encoding.name, 1).into());
        }
        let columns = header
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let name = if i == 0 {
                    name.trim_start_matches('\u{feff}')
                } else {
                    name
                };
                name.trim().to_owned()
            })
            .collect();
        Ok(Self {
            records,
            delimiter,
            text: text.info,
            columns,
            defect: None,
            max_field_bytes: limits.max_field_bytes,
        })
    }
}

/// A field longer than the limit (the record as a whole is bounded while
/// it is read, see `Records`); none when the whole record is within it.
fn check_fields(record: &Record<'_>, limit: u64) -> Result<(), ReadFailure> {
    if record.as_slice().len() as u64 <= limit {
        return Ok(());
    }
    match record.iter().position(|field| field.len() as u64 > limit) {
        None => Ok(()),
        Some(index) => {
            let line = record.line();
            Err(over_limit(
                "field_too_large",
                format_args!("field {} of line {line} is too long", index + 1),
                format_args!("{} bytes", record.get(index).map_or(0, <[u8]>::len)),
                format_args!("{limit} bytes"),
                Some(line),
            ))
        }
    }
}

/// The record as one text, when every field of it is UTF-8: one check of
/// the record's bytes instead of one per field (and per use). Fields are
/// ranges of that text, so each is UTF-8 exactly when the whole is and each
/// field starts on a character boundary (a field ending mid-character next
/// to one starting with the rest of it would make a valid whole of two
/// invalid fields).
fn record_text<'a>(record: &Record<'a>) -> Option<&'a str> {
    let text = std::str::from_utf8(record.as_slice()).ok()?;
    if record.fields_follow_ascii_delimiters() {
        return Some(text);
    }
    (0..record.len())
        .all(|i| {
            record
                .range(i)
                .is_some_and(|r| text.is_char_boundary(r.start))
        })
        .then_some(text)
}

impl CsvSource {
    /// Whether the record just read, starting on `line`, holds bytes that
    /// are not UTF-8 (a file read as UTF-8; `utf8` says whether every field
    /// is) or that the transcoder could not decode (it marked their line).
    fn defect_of(&self, line: u64, utf8: bool) -> Option<ReadFailure> {
        // Most files have no marks at all: no need to count the record's lines.
        if self.text.malformed.any() {
            let embedded = memchr::memchr_iter(b'\n', self.records.record().as_slice()).count();
            let last = line + embedded as u64;
            if self.text.malformed.take_through(line, last) {
                return Some(text::undecodable(&self.text.encoding.name, line));
            }
        }
        (!utf8).then(|| not_utf8(line))
    }
}

impl RowSource for CsvSource {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn checks_field_count(&self) -> bool {
        true
    }

    fn delimiter(&self) -> Option<u8> {
        Some(self.delimiter)
    }

    fn text_info(&self) -> Option<&TextInfo> {
        Some(&self.text)
    }

    fn next_row(&mut self, row: &mut Vec<Cell>) -> Result<Option<RowMeta>, ReadFailure> {
        let Some(meta) = self.read_record()? else {
            return Ok(None);
        };
        let record = self.records.record();
        let whole = record_text(&record);
        self.defect = self.defect_of(meta.line, whole.is_some());
        self.fill(row, whole);
        Ok(Some(meta))
    }

    fn next_row_or_text(
        &mut self,
        row: &mut Vec<Cell>,
        text: &mut dyn FnMut(&str, &Record<'_>),
    ) -> Result<Option<(RowMeta, bool)>, ReadFailure> {
        let Some(meta) = self.read_record()? else {
            return Ok(None);
        };
        let record = self.records.record();
        let whole = record_text(&record);
        self.defect = self.defect_of(meta.line, whole.is_some());
        match whole {
            Some(whole) => text(whole, &record),
            None => self.fill(row, None),
        }
        Ok(Some((meta, whole.is_some())))
    }

    fn row_defect(&self) -> Option<ReadFailure> {
        self.defect.clone()
    }

    fn raw_row(&self) -> Option<String> {
        Some(crate::quarantine::join_fields(
            self.records.record().iter(),
            self.delimiter,
        ))
    }

    /// A row that is not defective is UTF-8 field by field (`record_text`)
    /// and, of the header's width, has one text cell per field.
    fn raw_row_from_cells(&self) -> Option<u8> {
        Some(self.delimiter)
    }
}

impl CsvSource {
    /// Reads the next record, its fields checked against the limit.
    fn read_record(&mut self) -> Result<Option<RowMeta>, ReadFailure> {
        if !self.records.read().map_err(|e| failure(&e))? {
            return Ok(None);
        }
        let record = self.records.record();
        check_fields(&record, self.max_field_bytes)?;
        Ok(Some(RowMeta {
            line: record.line(),
            field_count: record.len(),
        }))
    }

    /// The record's fields as cells, fitted to the header; `whole`: the
    /// record as one text, when it is UTF-8 (`record_text`).
    fn fill(&self, row: &mut Vec<Cell>, whole: Option<&str>) {
        let record = self.records.record();
        row.resize(self.columns.len(), Cell::Null);
        for (index, cell) in row.iter_mut().enumerate() {
            let field = match whole {
                Some(text) => record.range(index).map(|r| Ok(&text[r])),
                // Some field is not UTF-8: each on its own (the others are kept).
                None => record.get(index).map(std::str::from_utf8),
            };
            match field {
                Some(Ok(text)) => cell.set_text(text),
                Some(Err(_)) | None => *cell = Cell::Null,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_common_delimiters() {
        assert_eq!(sniff_delimiter(b"a,b,c\n1,2,3\n4,5,6\n"), b',');
        assert_eq!(sniff_delimiter(b"a;b;c\n1,5;2;3\n4;5;6\n"), b';');
        assert_eq!(sniff_delimiter(b"a\tb\n1\t2\n"), b'\t');
        assert_eq!(sniff_delimiter(b"a|b|c\n1|2|3\n"), b'|');
        assert_eq!(sniff_delimiter(b"\"x,y\";b\n\"1,2\";3\n\"3,4\";5\n"), b';');
        assert_eq!(sniff_delimiter(b"single\n1\n2\n"), b',');
    }

    #[test]
    fn fields_are_checked_for_utf8_each_even_when_the_record_is_valid() {
        // "é" is C3 A9: split between two fields, the bytes of the record
        // together are UTF-8 but neither field is (quoted fields are held
        // one after another, without the delimiter between them).
        for fields in [
            vec![&b"ab"[..], &b"\xc3\xa9"[..], b""],
            vec![&b"ab\xc3"[..], &b"\xa9"[..]],
            vec![&b"\xff"[..], b"x"],
            vec![&b"x"[..]],
        ] {
            for quote in [&b""[..], b"\""] {
                let mut line = Vec::new();
                for (i, field) in fields.iter().enumerate() {
                    if i > 0 {
                        line.push(b',');
                    }
                    line.extend([quote, field, quote].concat());
                }
                let mut records = Records::new(&line[..], b',', 1000);
                assert!(records.read().expect("read"));
                let record = records.record();
                let text = record_text(&record);
                if let Some(text) = text {
                    let ranges: Vec<&str> = (0..record.len())
                        .filter_map(|i| record.range(i).map(|r| &text[r]))
                        .collect();
                    assert_eq!(ranges.concat().as_bytes(), fields.concat());
                }
                let each = fields.iter().all(|f| std::str::from_utf8(f).is_ok());
                assert_eq!(text.is_some(), each, "{fields:?} {quote:?}");
            }
        }
    }
}
