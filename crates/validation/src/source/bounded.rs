//! A reader that refuses a CSV record longer than a limit *before* the csv
//! crate has buffered it: the crate grows its record buffer without bound,
//! so one 300 MiB line would otherwise be held whole. It follows CSV quoting
//! the way the csv crate does (a quote opens a quoted field only at the
//! start of a field) so that a line break inside quotes does not end the
//! record.

use std::io::{self, Read};

/// The error a `BoundedRecords` read fails with once a record is too long.
#[derive(Debug, Clone, Copy)]
pub struct RecordTooLarge {
    /// 1-based line where the record starts.
    pub line: u64,
    pub limit: u64,
}

impl std::fmt::Display for RecordTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the record starting at line {} is longer than {} bytes",
            self.line, self.limit
        )
    }
}

impl std::error::Error for RecordTooLarge {}

impl RecordTooLarge {
    /// The limit failure inside an I/O error from this reader, if it is one.
    pub fn from_io(error: &io::Error) -> Option<Self> {
        error.get_ref()?.downcast_ref::<Self>().copied()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    FieldStart,
    InField,
    InQuotes,
    /// A quote inside a quoted field: the field's end, or half of `""`.
    QuoteInQuotes,
}

pub struct BoundedRecords<R> {
    inner: R,
    delimiter: u8,
    limit: u64,
    state: State,
    /// Bytes of the current record so far.
    in_record: u64,
    /// Newlines seen, and the line the current record started on.
    line: u64,
    record_line: u64,
}

impl<R: Read> BoundedRecords<R> {
    pub fn new(inner: R, delimiter: u8, limit: u64) -> Self {
        Self {
            inner,
            delimiter,
            limit,
            state: State::FieldStart,
            in_record: 0,
            line: 1,
            record_line: 1,
        }
    }

    fn end_record(&mut self) {
        self.state = State::FieldStart;
        self.in_record = 0;
        self.record_line = self.line;
    }

    /// Adds `n` bytes to the current record, failing past the limit.
    fn grow(&mut self, n: usize) -> io::Result<()> {
        self.in_record += n as u64;
        if self.in_record > self.limit {
            return Err(io::Error::other(RecordTooLarge {
                line: self.record_line,
                limit: self.limit,
            }));
        }
        Ok(())
    }

    /// One byte through the state machine (the csv crate's quoting rules).
    fn step(&mut self, byte: u8) -> io::Result<()> {
        if byte == b'\n' {
            self.line += 1;
        }
        self.state = match (self.state, byte) {
            (State::InQuotes, b'"') => State::QuoteInQuotes,
            (State::InQuotes, _) => State::InQuotes,
            (State::QuoteInQuotes, b'"') | (State::FieldStart, b'"') => State::InQuotes,
            (_, b) if b == self.delimiter => State::FieldStart,
            (_, b'\n' | b'\r') => {
                self.end_record();
                return Ok(());
            }
            _ => State::InField,
        };
        self.grow(1)
    }

    /// What `step` over every byte does, skipping the runs of bytes that
    /// cannot change the state with `memchr` (this runs over every byte of
    /// the file): inside quotes only a quote matters; elsewhere a quote or
    /// a line break (a delimiter only decides whether a quote that follows
    /// it opens a quoted field: the byte before the quote tells).
    fn scan(&mut self, bytes: &[u8]) -> io::Result<()> {
        if matches!(self.delimiter, b'"' | b'\n' | b'\r') {
            // Not a delimiter the skipping above can assume: byte by byte.
            return bytes.iter().try_for_each(|&b| self.step(b));
        }
        let mut at = 0;
        while at < bytes.len() {
            let rest = &bytes[at..];
            match self.state {
                State::InQuotes => {
                    let run = memchr::memchr(b'"', rest).unwrap_or(rest.len());
                    self.line += memchr::memchr_iter(b'\n', &rest[..run]).count() as u64;
                    self.grow(run)?;
                    at += run;
                }
                State::FieldStart | State::InField => {
                    let run = memchr::memchr3(b'"', b'\n', b'\r', rest).unwrap_or(rest.len());
                    if let Some(&last) = rest[..run].last() {
                        self.state = if last == self.delimiter {
                            State::FieldStart
                        } else {
                            State::InField
                        };
                        self.grow(run)?;
                    }
                    at += run;
                }
                State::QuoteInQuotes => {}
            }
            if let Some(&byte) = bytes.get(at) {
                self.step(byte)?;
                at += 1;
            }
        }
        Ok(())
    }
}

impl<R: Read> Read for BoundedRecords<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.scan(&buf[..read])?;
        Ok(read)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(text: &[u8], limit: u64) -> Result<Vec<u8>, RecordTooLarge> {
        let mut out = Vec::new();
        BoundedRecords::new(text, b',', limit)
            .read_to_end(&mut out)
            .map(|_| out)
            .map_err(|e| RecordTooLarge::from_io(&e).expect("limit error"))
    }

    #[test]
    fn short_records_pass_and_a_long_one_is_refused_with_its_line() {
        assert!(read_all(b"a,b\n1,2\r\n3,4\n", 4).is_ok());
        let error = read_all(b"a,b\n1,2\n12345,6\n", 4).expect_err("too long");
        assert_eq!(error.line, 3);
    }

    #[test]
    fn line_breaks_inside_quotes_belong_to_the_record() {
        assert!(read_all(b"a\n\"x\ny\"\n", 6).is_ok());
        let error = read_all(b"a\n\"x\n\n\n\n\n\ny\"\n", 6).expect_err("one record");
        assert_eq!(error.line, 2);
        // A quote inside an unquoted field is a plain character.
        assert!(read_all(b"ab\"c\nd\ne\nf\n", 4).is_ok());
        // A doubled quote inside quotes does not end the field.
        assert!(read_all(b"\"a\"\"\nb\"\n", 4).is_err());
    }

    /// The line and record length after feeding `text` in `chunk`-byte
    /// reads, or the error; `step` alone is the reference.
    fn outcome(text: &[u8], limit: u64, chunk: usize, fast: bool) -> Result<(u64, u64), u64> {
        let mut r = BoundedRecords::new(&b""[..], b',', limit);
        for piece in text.chunks(chunk.max(1)) {
            let result = if fast {
                r.scan(piece)
            } else {
                piece.iter().try_for_each(|&b| r.step(b))
            };
            if let Err(e) = result {
                return Err(RecordTooLarge::from_io(&e).expect("limit").line);
            }
        }
        Ok((r.line, r.in_record))
    }

    #[test]
    fn skipping_runs_gives_what_stepping_every_byte_gives() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let alphabet = b"ab,\"\"\n\r ,x";
        for case in 0..3000u64 {
            let len = (case % 60) as usize;
            let text: Vec<u8> = (0..len)
                .map(|_| {
                    state ^= state << 13;
                    state ^= state >> 7;
                    state ^= state << 17;
                    alphabet[(state % alphabet.len() as u64) as usize]
                })
                .collect();
            for limit in [3, 8, 100] {
                for chunk in [1, 3, 64] {
                    assert_eq!(
                        outcome(&text, limit, chunk, true),
                        outcome(&text, limit, chunk, false),
                        "{:?} limit {limit} chunk {chunk}",
                        String::from_utf8_lossy(&text)
                    );
                }
            }
        }
    }
}
