//! CSV records, read exactly as the csv crate reads them (flexible field
//! counts; `,`-style quoting with doubled quotes; `\r`, `\n` and `\r\n`
//! ending a record; blank lines skipped; a leading UTF-8 BOM dropped),
//! without its byte-at-a-time parser for the common record, and each with
//! the line it starts on (see `Record`).
//!
//! Why: the csv crate's state machine looks at every byte, and it ran on the
//! one thread that reads records for every core (about 15 % of all CPU of a
//! first pass). Most records have no quoted field: for those a split eight
//! bytes at a time finds the line's end and its delimiters, and the fields
//! are ranges of the line itself (no copy). A record with a field that starts with a
//! quote, or a delimiter that is itself special, goes through `csv_core`
//! (the csv crate's own parser) from the record's first byte, so the fields
//! are the csv crate's by construction. `read_as_the_csv_crate_reads` checks
//! both against the csv crate on random input.
//!
//! It also refuses a record longer than a limit before holding it whole
//! (the csv crate grows its record buffer without bound), with the line the
//! record starts on.

use std::io::{self, Read};
use std::ops::Range;

/// Bytes read from the input at a time (the buffer grows for a longer record).
const CHUNK: usize = 256 * 1024;

/// The error a read fails with once a record is too long.
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
    /// The limit failure inside an I/O error from `Records`, if it is one.
    pub fn from_io(error: &io::Error) -> Option<Self> {
        error.get_ref()?.downcast_ref::<Self>().copied()
    }
}

/// Where the record last read is held.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Held {
    /// `buf[start..end]`, the record as the file has it: fields are
    /// separated by one delimiter byte.
    Line { start: usize, end: usize },
    /// `unquoted`, the fields one after another (quotes removed).
    Unquoted,
}

pub struct Records<R> {
    inner: R,
    delimiter: u8,
    limit: u64,
    buf: Vec<u8>,
    /// First byte not yet consumed, and the end of the bytes read.
    pos: usize,
    filled: usize,
    eof: bool,
    /// A read failure met after some bytes, for the next fill.
    failed: Option<io::Error>,
    /// Whether anything was read yet (the BOM is dropped only at the start).
    started: bool,
    /// '\n's consumed, plus one: the csv crate's line.
    line: u64,
    /// Whether a '\r' was read anywhere yet (most files have none, and then
    /// line ends need not be looked for twice).
    cr: bool,
    /// The csv crate's parser, for records the fast path does not take.
    core: csv_core::Reader,
    unquoted: Vec<u8>,
    // The record last read.
    held: Held,
    /// Each field's end, relative to the record's text.
    ends: Vec<usize>,
    position: u64,
}

/// A record just read: its fields and the line it starts on. (The csv crate
/// gives the line where the previous record ended instead: one line early
/// for every record of a file with `\r\n` line ends, and on the first of
/// any blank lines before it.)
pub struct Record<'a> {
    text: &'a [u8],
    ends: &'a [usize],
    /// Bytes between fields: 1 on the file's line, 0 once unquoted.
    gap: usize,
    delimiter: u8,
    line: u64,
}

impl<'a> Record<'a> {
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// The record's bytes; field `i` is `range(i)` of them (the bytes
    /// between fields are delimiters, or nothing).
    pub fn as_slice(&self) -> &'a [u8] {
        self.text
    }

    pub fn range(&self, index: usize) -> Option<Range<usize>> {
        let end = *self.ends.get(index)?;
        let start = match index {
            0 => 0,
            _ => self.ends[index - 1] + self.gap,
        };
        Some(start..end)
    }

    pub fn get(&self, index: usize) -> Option<&'a [u8]> {
        self.range(index).map(|r| &self.text[r])
    }

    pub fn iter(&self) -> impl Iterator<Item = &'a [u8]> + '_ {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    pub fn line(&self) -> u64 {
        self.line
    }

    /// Whether every field starts on a character boundary when the whole
    /// text is UTF-8: each follows an ASCII delimiter (a quoted field's
    /// bytes follow the previous field's directly, so one may end inside a
    /// character the next completes).
    pub fn fields_follow_ascii_delimiters(&self) -> bool {
        self.gap == 1 && self.delimiter.is_ascii()
    }
}

enum Fast {
    Read,
    NeedMore,
    Quoted,
}

impl<R: Read> Records<R> {
    pub fn new(inner: R, delimiter: u8, limit: u64) -> Self {
        let mut core = csv_core::ReaderBuilder::new().delimiter(delimiter).build();
        // A blank line: marks the parser as started, so that it never takes
        // a BOM-like start of a later record for the file's BOM.
        let _ = core.read_record(b"\n", &mut [0], &mut [0]);
        Self {
            inner,
            delimiter,
            limit,
            buf: vec![0; CHUNK],
            pos: 0,
            filled: 0,
            eof: false,
            failed: None,
            started: false,
            line: 1,
            cr: false,
            core,
            unquoted: Vec::new(),
            held: Held::Unquoted,
            ends: Vec::new(),
            position: 1,
        }
    }

    /// The record last read by a `read` that returned `true`.
    pub fn record(&self) -> Record<'_> {
        let (text, gap) = match self.held {
            Held::Line { start, end } => (&self.buf[start..end], 1),
            Held::Unquoted => (&self.unquoted[..], 0),
        };
        Record {
            text,
            ends: &self.ends,
            gap,
            delimiter: self.delimiter,
            line: self.position,
        }
    }

    /// Reads the next record; `false` at the end of the input.
    pub fn read(&mut self) -> io::Result<bool> {
        self.ends.clear();
        if !self.started {
            self.started = true;
            while self.filled - self.pos < 3 && self.fill()? {}
            if self.buf[self.pos..self.filled].starts_with(b"\xef\xbb\xbf") {
                self.pos += 3;
            }
        }
        // Blank lines and the '\n' of a "\r\n" belong to no record.
        loop {
            if self.pos == self.filled && !self.fill()? {
                return Ok(false);
            }
            match self.buf[self.pos] {
                b'\n' => self.line += 1,
                b'\r' => {}
                _ => break,
            }
            self.pos += 1;
        }
        let body_line = self.line;
        self.position = body_line;
        let special = matches!(self.delimiter, b'"' | b'\r' | b'\n');
        loop {
            match if special { Fast::Quoted } else { self.fast() } {
                Fast::Read => return Ok(true),
                Fast::Quoted => return self.quoted(body_line),
                Fast::NeedMore => {
                    if (self.filled - self.pos) as u64 > self.limit {
                        return Err(self.too_large(body_line));
                    }
                    // At the end of the input the record ends too: `fast`
                    // takes it then.
                    self.fill()?;
                }
            }
        }
    }

    /// The record at `pos` when none of its fields starts with a quote.
    fn fast(&mut self) -> Fast {
        let start = self.pos;
        let rest = &self.buf[start..self.filled];
        self.ends.clear();
        let found = if self.cr {
            split_line::<true>(rest, self.delimiter, &mut self.ends)
        } else {
            split_line::<false>(rest, self.delimiter, &mut self.ends)
        };
        let Some(end) = found.or(self.eof.then_some(rest.len())).map(|n| start + n) else {
            return Fast::NeedMore;
        };
        if (end - start) as u64 > self.limit {
            // `read` refuses it (its bytes so far are over the limit).
            return Fast::NeedMore;
        }
        let line = &self.buf[start..end];
        let quoted = |at: usize| line.get(at) == Some(&b'"');
        if quoted(0) || self.ends.iter().any(|&at| quoted(at + 1)) {
            return Fast::Quoted;
        }
        self.ends.push(line.len());
        self.held = Held::Line { start, end };
        // The terminator is consumed with the record; a '\n' after a '\r'
        // is skipped before the next, as a blank line would be.
        self.pos = end;
        if let Some(&byte) = self.buf.get(end).filter(|_| end < self.filled) {
            self.pos += 1;
            self.line += u64::from(byte == b'\n');
        }
        Fast::Read
    }

    /// The record at `pos` through the csv crate's parser.
    fn quoted(&mut self, body_line: u64) -> io::Result<bool> {
        use csv_core::ReadRecordResult as Result;
        self.unquoted.clear();
        self.ends.clear();
        let (mut out, mut ends) = (0, 0);
        let mut consumed = 0u64;
        loop {
            if self.unquoted.len() == out {
                self.unquoted.resize((out * 2).max(256), 0);
            }
            if self.ends.len() == ends {
                self.ends.resize((ends * 2).max(16), 0);
            }
            let lines = self.core.line();
            let (result, nin, nout, nend) = self.core.read_record(
                &self.buf[self.pos..self.filled],
                &mut self.unquoted[out..],
                &mut self.ends[ends..],
            );
            self.line += self.core.line() - lines;
            let terminator = nin > 0 && matches!(self.buf[self.pos + nin - 1], b'\n' | b'\r');
            self.pos += nin;
            consumed += nin as u64;
            out += nout;
            ends += nend;
            match result {
                Result::InputEmpty => {
                    if consumed > self.limit {
                        return Err(self.too_large(body_line));
                    }
                    if !self.eof {
                        self.fill()?;
                    }
                }
                Result::OutputFull | Result::OutputEndsFull => {}
                Result::Record => {
                    if consumed - u64::from(terminator) > self.limit {
                        return Err(self.too_large(body_line));
                    }
                    self.unquoted.truncate(out);
                    self.ends.truncate(ends);
                    self.held = Held::Unquoted;
                    return Ok(true);
                }
                // Not reached: `read` saw a byte of this record.
                Result::End => return Ok(false),
            }
        }
    }

    fn too_large(&self, line: u64) -> io::Error {
        io::Error::other(RecordTooLarge {
            line,
            limit: self.limit,
        })
    }

    /// Reads more input after what is unconsumed, until the buffer is
    /// full or the input ends; `false` when nothing more came. Filling it
    /// whole (not one read) matters: a record longer than the buffer is
    /// scanned again from its start after each fill, so each fill must at
    /// least double what is held (bounded work per byte, however small the
    /// reads a decoder gives).
    fn fill(&mut self) -> io::Result<bool> {
        if let Some(error) = self.failed.take() {
            return Err(error);
        }
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.filled, 0);
            self.filled -= self.pos;
            self.pos = 0;
        }
        if self.filled == self.buf.len() {
            // A record longer than the buffer (bounded by the limit).
            self.buf.resize(self.buf.len() * 2, 0);
        } else if self.buf.len() > CHUNK && self.filled < CHUNK {
            // Back to the usual size after a long record.
            self.buf.truncate(CHUNK);
            self.buf.shrink_to_fit();
        }
        let before = self.filled;
        while self.filled < self.buf.len() {
            match self.inner.read(&mut self.buf[self.filled..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => self.filled += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                // The bytes before the failure are records first.
                Err(e) if self.filled > before => {
                    self.failed = Some(e);
                    break;
                }
                Err(e) => return Err(e),
            }
        }
        self.cr = self.cr || memchr::memchr(b'\r', &self.buf[before..self.filled]).is_some();
        Ok(self.filled > before)
    }
}

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit set in each byte of `v` equal to `byte`, and perhaps in a
/// byte after one (a borrow): the lowest bit set is always a true match.
fn first_match(v: u64, byte: u8) -> u64 {
    let x = v ^ (ONES * u64::from(byte));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// The high bit set in exactly each byte of `v` equal to `byte` (no carries
/// between bytes).
fn every_match(v: u64, byte: u8) -> u64 {
    let x = v ^ (ONES * u64::from(byte));
    !(((x & !HIGHS) + !HIGHS) | x) & HIGHS
}

/// The index of the first '\n' (or '\r' when `CR`: a text without any
/// need not look for it) in `text`, `None` when there is none, with the
/// index of every `delimiter` before it pushed to `ends`. Eight bytes at a
/// time: fields are short, and `memchr` starts slowly on short text.
fn split_line<const CR: bool>(text: &[u8], delimiter: u8, ends: &mut Vec<usize>) -> Option<usize> {
    let mut chunks = text.chunks_exact(8);
    for (n, chunk) in chunks.by_ref().enumerate() {
        let v = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        let mut breaks = first_match(v, b'\n');
        if CR {
            breaks |= first_match(v, b'\r');
        }
        let mut delimiters = every_match(v, delimiter);
        if breaks != 0 {
            // Only the delimiters before the line break (the lowest bit).
            delimiters &= (breaks & breaks.wrapping_neg()) - 1;
        }
        while delimiters != 0 {
            ends.push(n * 8 + (delimiters.trailing_zeros() / 8) as usize);
            delimiters &= delimiters - 1;
        }
        if breaks != 0 {
            return Some(n * 8 + (breaks.trailing_zeros() / 8) as usize);
        }
    }
    let base = text.len() - chunks.remainder().len();
    for (i, &byte) in chunks.remainder().iter().enumerate() {
        match byte {
            b'\n' => return Some(base + i),
            b'\r' if CR => return Some(base + i),
            b if b == delimiter => ends.push(base + i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
#[path = "records_tests.rs"]
mod tests;
