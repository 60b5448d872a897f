//! CSV with the delimiter sniffed from the first lines; quoted fields with
//! delimiters, doubled quotes and line breaks; CRLF; a UTF-8 BOM.

use std::{fs::File, io::Read, path::Path};

use super::{Cell, ReadFailure, RowMeta, RowSource};
use crate::ValidationError;

const CANDIDATES: [u8; 4] = [b',', b';', b'\t', b'|'];
const SNIFF_BYTES: usize = 64 * 1024;
const SNIFF_RECORDS: usize = 50;

pub struct CsvSource {
    reader: csv::Reader<File>,
    delimiter: u8,
    columns: Vec<String>,
    record: csv::StringRecord,
}

fn reader(file: File, delimiter: u8) -> csv::Reader<File> {
    csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(file)
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

fn failure(error: &csv::Error) -> ReadFailure {
    let line = error.position().map(|p| p.line());
    match error.kind() {
        csv::ErrorKind::Utf8 { .. } => ReadFailure {
            code: "invalid_utf8",
            message: "the file is not valid UTF-8 text".into(),
            line,
        },
        _ => ReadFailure {
            code: "unreadable_csv",
            message: format!("the CSV cannot be read: {error}"),
            line,
        },
    }
}

impl CsvSource {
    pub fn open(path: &Path, delimiter: Option<u8>) -> Result<Self, super::OpenError> {
        let open = || File::open(path).map_err(ValidationError::io(path));
        let delimiter = match delimiter {
            Some(d) => d,
            None => {
                let mut sample = Vec::with_capacity(SNIFF_BYTES);
                open()?
                    .take(SNIFF_BYTES as u64)
                    .read_to_end(&mut sample)
                    .map_err(ValidationError::io(path))?;
                sniff_delimiter(&sample)
            }
        };
        let mut reader = reader(open()?, delimiter);
        let mut header = csv::StringRecord::new();
        let has_header = reader.read_record(&mut header).map_err(|e| failure(&e))?;
        if !has_header {
            return Err(ReadFailure {
                code: "empty_file",
                message: "the file has no header line and no data".into(),
                line: None,
            }
            .into());
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
            reader,
            delimiter,
            columns,
            record: csv::StringRecord::new(),
        })
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

    fn next_row(&mut self, row: &mut Vec<Cell>) -> Result<Option<RowMeta>, ReadFailure> {
        if !self
            .reader
            .read_record(&mut self.record)
            .map_err(|e| failure(&e))?
        {
            return Ok(None);
        }
        let line = self.record.position().map_or(0, |p| p.line());
        row.resize(self.columns.len(), Cell::Null);
        for (index, cell) in row.iter_mut().enumerate() {
            match self.record.get(index) {
                Some(text) => cell.set_text(text),
                None => *cell = Cell::Null,
            }
        }
        Ok(Some(RowMeta {
            line,
            field_count: self.record.len(),
        }))
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
}
