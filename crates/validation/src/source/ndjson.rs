//! Newline-delimited JSON: one object per line. Columns are the keys in the
//! order first seen; a key missing from a line is a null; nested values are
//! kept as their JSON text.

use std::{
    collections::HashMap,
    io::{BufRead, BufReader, Read},
    path::Path,
};

use serde_json::Value;

use super::text::{self, TextError, TextInfo};
use super::{over_limit, Cell, ReadFailure, RowMeta, RowSource};
use crate::Control;

/// A JSON object and the line it was on.
type NumberedObject = (u64, serde_json::Map<String, Value>);

pub struct NdjsonSource {
    lines: BufReader<Box<dyn Read + Send>>,
    text: TextInfo,
    line_no: u64,
    buffer: Vec<u8>,
    control: Control,
    columns: Vec<String>,
    index: HashMap<String, usize>,
    /// The first object, read at open time to learn the first columns.
    pending: Option<NumberedObject>,
    /// Why the line last read is not a row (not UTF-8, not a JSON object):
    /// it comes back as an empty row, rejected on its own.
    defect: Option<ReadFailure>,
}

impl NdjsonSource {
    pub fn open(
        path: &Path,
        encoding: Option<&str>,
        control: &Control,
    ) -> Result<Self, super::OpenError> {
        let text = text::open(path, encoding, control)?;
        let mut source = Self {
            lines: BufReader::with_capacity(1 << 16, text.reader),
            text: text.info,
            line_no: 0,
            buffer: Vec::new(),
            control: control.clone(),
            columns: Vec::new(),
            index: HashMap::new(),
            pending: None,
            defect: None,
        };
        match source.next_object()? {
            Some((line, object)) => {
                source.learn_columns(&object, line)?;
                source.pending = Some((line, object));
                Ok(source)
            }
            None => Err(ReadFailure {
                code: "empty_file",
                message: "the file has no JSON objects".into(),
                line: None,
            }
            .into()),
        }
    }

    /// Adds the keys not seen before as columns. Every distinct key is a
    /// column of every row, so their number is bounded like a header's.
    fn learn_columns(
        &mut self,
        object: &serde_json::Map<String, Value>,
        line: u64,
    ) -> Result<(), ReadFailure> {
        let max = self.control.limits().max_columns;
        for key in object.keys() {
            if !self.index.contains_key(key) {
                if self.columns.len() >= max {
                    return Err(over_limit(
                        "too_many_columns",
                        format_args!("line {line} brings the number of distinct keys (columns) past the limit"),
                        format_args!("more than {max} keys"),
                        format_args!("{max} keys"),
                        Some(line),
                    ));
                }
                self.index.insert(key.clone(), self.columns.len());
                self.columns.push(key.clone());
            }
        }
        Ok(())
    }

    fn next_object(&mut self) -> Result<Option<NumberedObject>, ReadFailure> {
        let limit = self.control.limits().max_record_bytes;
        loop {
            self.buffer.clear();
            // At most one byte past the limit is buffered, however long the line.
            let read = (&mut self.lines)
                .take(limit.saturating_add(1))
                .read_until(b'\n', &mut self.buffer)
                .map_err(|e| {
                    TextError::failure_of(&e).unwrap_or_else(|| ReadFailure {
                        code: "unreadable_json",
                        message: format!("line {} cannot be read: {e}", self.line_no + 1),
                        line: Some(self.line_no + 1),
                    })
                })?;
            if read == 0 {
                return Ok(None);
            }
            self.line_no += 1;
            if read as u64 > limit && self.buffer.last() != Some(&b'\n') {
                return Err(over_limit(
                    "record_too_large",
                    format_args!("line {} is too long", self.line_no),
                    format_args!("more than {limit} bytes"),
                    format_args!("{limit} bytes"),
                    Some(self.line_no),
                ));
            }
            self.defect = None;
            if self.text.malformed.take_through(self.line_no, self.line_no) {
                let failure = text::undecodable(&self.text.encoding.name, self.line_no);
                return Ok(Some(self.defective(failure)));
            }
            let text = match std::str::from_utf8(&self.buffer) {
                Ok(text) => text,
                Err(e) => {
                    return Ok(Some(self.defective(ReadFailure {
                        code: "invalid_utf8",
                        message: format!("line {} is not valid UTF-8: {e}", self.line_no),
                        line: Some(self.line_no),
                    })))
                }
            };
            let text = text.trim().trim_start_matches('\u{feff}');
            if text.is_empty() {
                continue;
            }
            let failure = match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(object)) => return Ok(Some((self.line_no, object))),
                Ok(other) => ReadFailure {
                    code: "not_an_object",
                    message: format!(
                        "line {} holds a JSON {}, not an object",
                        self.line_no,
                        kind(&other)
                    ),
                    line: Some(self.line_no),
                },
                Err(e) => ReadFailure {
                    code: "invalid_json",
                    message: format!("line {} is not valid JSON: {e}", self.line_no),
                    line: Some(self.line_no),
                },
            };
            return Ok(Some(self.defective(failure)));
        }
    }

    /// The current line as a row that cannot be used, for `failure`.
    fn defective(&mut self, failure: ReadFailure) -> NumberedObject {
        self.defect = Some(failure);
        (self.line_no, serde_json::Map::new())
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

impl RowSource for NdjsonSource {
    fn columns(&self) -> &[String] {
        &self.columns
    }

    fn text_info(&self) -> Option<&TextInfo> {
        Some(&self.text)
    }

    fn next_row(&mut self, row: &mut Vec<Cell>) -> Result<Option<RowMeta>, ReadFailure> {
        let next = match self.pending.take() {
            Some(first) => Some(first),
            None => self.next_object()?,
        };
        let Some((line, object)) = next else {
            return Ok(None);
        };
        self.learn_columns(&object, line)?;
        row.clear();
        row.resize(self.columns.len(), Cell::Null);
        let field_count = object.len();
        for (key, value) in object {
            let Some(&at) = self.index.get(&key) else {
                continue;
            };
            row[at] = match value {
                Value::Null => Cell::Null,
                Value::Bool(b) => Cell::Bool(b),
                Value::Number(n) => match n.as_i64() {
                    Some(i) => Cell::Long(i),
                    None => n.as_f64().map_or(Cell::Null, Cell::Double),
                },
                Value::String(s) => Cell::Text(s),
                nested => Cell::Text(nested.to_string()),
            };
        }
        Ok(Some(RowMeta { line, field_count }))
    }

    fn row_defect(&self) -> Option<ReadFailure> {
        self.defect.clone()
    }

    fn raw_row(&self) -> Option<String> {
        let text = String::from_utf8_lossy(&self.buffer);
        Some(text.trim_end_matches(['\r', '\n']).to_owned())
    }
}
