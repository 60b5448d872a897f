//! The rejected-rows file: every row the second pass leaves out, one CSV
//! line each (`line,column,code,reason,record`), so the uploader can see and
//! fix exactly what was not ingested. Written as the rows go by; a row's
//! text is cut to `MAX_RECORD_BYTES`, so one huge row cannot make the file
//! huge.

use std::{
    borrow::Cow,
    fs::File,
    io::{BufWriter, Write},
    path::{Path, PathBuf},
};

use ingest_domain::RejectionKind;

use crate::source::Cell;
use crate::ValidationError;

/// Most bytes of a rejected row's text kept in the file.
pub const MAX_RECORD_BYTES: usize = 4096;
/// The header of the file.
pub const HEADER: [&str; 5] = ["line", "column", "code", "reason", "record"];

/// Rejected rows on their way to `path` (created at the first one), or only
/// counted when there is no path.
pub struct Quarantine {
    path: Option<PathBuf>,
    writer: Option<csv::Writer<BufWriter<File>>>,
    rows: u64,
}

impl Quarantine {
    pub fn new(path: Option<&Path>) -> Self {
        Self {
            path: path.map(Path::to_owned),
            writer: None,
            rows: 0,
        }
    }

    /// Whether rejected rows' text is written (not only counted).
    pub fn keeps_rows(&self) -> bool {
        self.path.is_some()
    }

    /// Adds one rejected row.
    pub fn add(
        &mut self,
        line: u64,
        column: Option<&str>,
        kind: RejectionKind,
        reason: &str,
        record: &str,
    ) -> Result<(), ValidationError> {
        self.rows += 1;
        let Some(path) = &self.path else {
            return Ok(());
        };
        let io = |e: csv::Error| ValidationError::io(path)(e.into());
        if self.writer.is_none() {
            let file = File::create(path).map_err(ValidationError::io(path))?;
            let mut writer = csv::Writer::from_writer(BufWriter::new(file));
            writer.write_record(HEADER).map_err(io)?;
            self.writer = Some(writer);
        }
        if let Some(writer) = &mut self.writer {
            let line = line.to_string();
            let record = bounded(record);
            writer
                .write_record([
                    line.as_str(),
                    &inert(column.unwrap_or("")),
                    kind.code(),
                    &inert(reason),
                    &inert(&record),
                ])
                .map_err(io)?;
        }
        Ok(())
    }

    /// Flushes the file; returns the rows written.
    pub fn finish(self) -> Result<u64, ValidationError> {
        if let (Some(mut writer), Some(path)) = (self.writer, &self.path) {
            writer.flush().map_err(ValidationError::io(path))?;
            writer
                .into_inner()
                .map_err(|e| ValidationError::io(path)(e.into_error()))?
                .flush()
                .map_err(ValidationError::io(path))?;
        }
        Ok(self.rows)
    }

    /// Removes whatever was written: the file failed as a whole, so no row
    /// was rejected one by one.
    pub fn discard(self) -> Result<(), ValidationError> {
        drop(self.writer);
        let Some(path) = self.path else {
            return Ok(());
        };
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(ValidationError::io(&path)(e))
            }
            _ => Ok(()),
        }
    }
}

/// Spreadsheets read a cell beginning with `=`, `+`, `-`, `@`, a tab or a
/// carriage return as a formula, and the rejected-rows file is opened in
/// them with text from the upload (CSV injection): such a text gets a
/// leading `'`, as OWASP advises, so it shows as text. Nothing else in the
/// file is changed; `line` and `code` are ours and never need it.
fn inert(text: &str) -> Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

/// `text` cut to `MAX_RECORD_BYTES` (at a character boundary), saying so.
fn bounded(text: &str) -> String {
    if text.len() <= MAX_RECORD_BYTES {
        return text.to_owned();
    }
    let mut end = MAX_RECORD_BYTES;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… [cut: {} bytes in all]", &text[..end], text.len())
}

/// A delimited row's fields put back together as the file had them
/// (quoted where needed; bytes that are not UTF-8 shown as U+FFFD), for a
/// rejected row's `record`. Stops once past `MAX_RECORD_BYTES`.
pub fn join_fields<'a>(fields: impl Iterator<Item = &'a [u8]>, delimiter: u8) -> String {
    let mut out = String::new();
    for (i, field) in fields.enumerate() {
        if out.len() > MAX_RECORD_BYTES {
            break;
        }
        if i > 0 {
            out.push(char::from(delimiter));
        }
        let text = String::from_utf8_lossy(field);
        let quote = text
            .bytes()
            .any(|b| b == delimiter || b == b'"' || b == b'\n' || b == b'\r');
        if quote {
            out.push('"');
            out.push_str(&text.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&text);
        }
    }
    out
}

/// A row's cells as a comma-separated line, for formats without row text
/// (XLSX, Parquet).
pub fn render_cells(row: &[Cell]) -> String {
    render_cells_with(row, b',')
}

/// A row's cells joined by `delimiter`, as `join_fields` joins a delimited
/// row's fields (see `RowSource::raw_row_from_cells`).
pub fn render_cells_with(row: &[Cell], delimiter: u8) -> String {
    let texts: Vec<String> = row
        .iter()
        .map(|cell| match cell {
            Cell::Null => String::new(),
            Cell::Text(t) => t.clone(),
            Cell::Long(v) => v.to_string(),
            Cell::Double(v) => v.to_string(),
            Cell::Bool(v) => v.to_string(),
            Cell::Time(t) => crate::timestamp::millis_to_utc(*t)
                .map_or_else(|| t.to_string(), |t| t.to_rfc3339()),
        })
        .collect();
    join_fields(texts.iter().map(String::as_bytes), delimiter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_joined_as_the_file_had_them() {
        let fields: [&[u8]; 4] = [b"a", b"b,c", b"say \"hi\"", b"caf\xe9"];
        assert_eq!(
            join_fields(fields.into_iter(), b','),
            "a,\"b,c\",\"say \"\"hi\"\"\",caf\u{fffd}"
        );
    }

    #[test]
    fn long_rows_are_cut_and_say_so() {
        let long = "é".repeat(MAX_RECORD_BYTES);
        let cut = bounded(&long);
        assert!(cut.len() < MAX_RECORD_BYTES + 64);
        assert!(cut.ends_with(&format!("[cut: {} bytes in all]", long.len())));
        assert_eq!(bounded("short"), "short");
    }

    #[test]
    fn text_a_spreadsheet_would_run_as_a_formula_is_made_inert() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("rejected.csv");
        let mut quarantine = Quarantine::new(Some(&path));
        let records = [
            "=HYPERLINK(\"http://x/\";\"click\"),1",
            "+1+2,3",
            "-2+3,4",
            "@SUM(A1:A9),5",
            "\t=1,6",
            "\r=1,7",
            "2024-01-01,=1",
        ];
        for (i, record) in records.iter().enumerate() {
            let column = (i == 0).then_some("=cmd");
            let reason = format!("{} fields but the header has 2", i + 3);
            quarantine
                .add(i as u64 + 2, column, RejectionKind::Ragged, &reason, record)
                .expect("add");
        }
        quarantine.finish().expect("finish");
        let mut reader = csv::Reader::from_path(&path).expect("read");
        let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
        assert_eq!(rows.len(), records.len());
        for (i, (row, record)) in rows.iter().zip(records).enumerate() {
            // The line, the code and the reason exactly as they were.
            assert_eq!(&row[0], (i + 2).to_string());
            assert_eq!(&row[2], "ragged_row");
            assert_eq!(&row[3], format!("{} fields but the header has 2", i + 3));
            let expected = if record.starts_with("2024") {
                record.to_owned()
            } else {
                format!("'{record}")
            };
            assert_eq!(&row[4], expected, "only a leading quote is added");
        }
        assert_eq!(&rows[0][1], "'=cmd", "a column name from the file too");
        assert_eq!(&rows[1][1], "");
    }

    #[test]
    fn the_file_is_written_at_the_first_row_only() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("rejected.csv");
        let empty = Quarantine::new(Some(&path));
        assert_eq!(empty.finish().expect("finish"), 0);
        assert!(!path.exists());

        let mut quarantine = Quarantine::new(Some(&path));
        quarantine
            .add(
                3,
                None,
                RejectionKind::Ragged,
                "3 fields, header has 2",
                "1,2,3",
            )
            .expect("add");
        assert_eq!(quarantine.finish().expect("finish"), 1);
        let text = std::fs::read_to_string(&path).expect("read");
        assert_eq!(
            text,
            "line,column,code,reason,record\n3,,ragged_row,\"3 fields, header has 2\",\"1,2,3\"\n"
        );
    }
}
