//! Text files (CSV, NDJSON) as a stream of UTF-8, whatever they arrived as:
//! decompressed (gzip, zstd: told by their magic bytes, not their name) and
//! transcoded from the encoding named or detected, while reading, so no step
//! holds the whole file. Never silently lossy: a byte sequence the encoding
//! cannot decode becomes U+FFFD *and* marks its line (`MalformedLines`), so
//! the row reading it is rejected with that line (or fails the file, outside
//! the upload's rejection budget), never ingested.

use std::{
    collections::BTreeSet,
    fs::File,
    io::{self, BufReader, Cursor, Read},
    path::Path,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
};

use encoding_rs::{DecoderResult, Encoding, UTF_8};
use ingest_domain::{Compression, TextEncoding};

use super::{encoding::detect, over_limit, OpenError, ReadFailure};
use crate::{Control, ValidationError};

/// Decoded bytes looked at to detect the encoding (and, by CSV, the delimiter).
pub const SAMPLE_BYTES: usize = 64 * 1024;
/// Output a compressed file may produce before its ratio is checked: a small
/// file that expands a lot is harmless.
const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    Gzip,
    Zstd,
}

impl Codec {
    pub fn sniff(head: &[u8]) -> Option<Self> {
        if head.starts_with(b"\x1f\x8b") {
            Some(Self::Gzip)
        } else if head.starts_with(b"\x28\xb5\x2f\xfd") {
            Some(Self::Zstd)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Gzip => "gzip",
            Self::Zstd => "zstd",
        }
    }

    /// A decompressing reader over `input`.
    pub fn decoder<'a, R: io::BufRead + Send + 'a>(
        self,
        input: R,
    ) -> io::Result<Box<dyn Read + Send + 'a>> {
        Ok(match self {
            // Multi-member: `cat a.gz b.gz` is one valid gzip file.
            Self::Gzip => Box::new(flate2::bufread::MultiGzDecoder::new(input)),
            Self::Zstd => Box::new(zstd::stream::read::Decoder::with_buffer(input)?),
        })
    }
}

/// The errors this layer's readers fail with, carried inside `io::Error` so
/// they pass through the csv crate and `BufRead` untouched.
#[derive(Debug, Clone)]
pub enum TextError {
    /// More output per input byte than the limit allows: a bomb.
    TooCompressed {
        codec: Codec,
        compressed: u64,
        uncompressed: u64,
        limit: u64,
    },
    /// The compressed stream is corrupt or cut short.
    Corrupt { codec: Codec, detail: String },
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::TooCompressed { codec, .. } => {
                write!(f, "the {} data expands too much", codec.name())
            }
            Self::Corrupt { codec, detail } => {
                write!(f, "the {} data is corrupt: {detail}", codec.name())
            }
        }
    }
}

impl std::error::Error for TextError {}

impl TextError {
    /// This layer's failure inside an I/O error, as a report problem.
    pub fn failure_of(error: &io::Error) -> Option<ReadFailure> {
        let text = error.get_ref()?.downcast_ref::<Self>()?;
        Some(match text {
            Self::TooCompressed {
                codec,
                compressed,
                uncompressed,
                limit,
            } => over_limit(
                "compression_ratio",
                format_args!(
                    "the {} data expands too much ({uncompressed} bytes from the first {compressed})",
                    codec.name()
                ),
                format_args!("a ratio over {}", uncompressed / (*compressed).max(1)),
                format_args!("{limit}"),
                None,
            ),
            Self::Corrupt { codec, detail } => ReadFailure {
                code: "corrupt_compression",
                message: format!("the {} data cannot be decompressed: {detail}", codec.name()),
                line: None,
            },
        })
    }
}

/// A row whose bytes `encoding` cannot decode, starting on `line`.
pub fn undecodable(encoding: &str, line: u64) -> ReadFailure {
    ReadFailure {
        code: "undecodable_text",
        message: format!(
            "line {line} holds bytes that are not valid {encoding}, the encoding the file is read in"
        ),
        line: Some(line),
    }
}

/// Lines (1-based) of the decoded text where bytes could not be decoded,
/// shared between the transcoder (which runs ahead, a buffer at most) and
/// the reader of rows (which takes them as it passes them).
#[derive(Debug, Clone, Default)]
pub struct MalformedLines(Arc<Mutex<BTreeSet<u64>>>);

impl MalformedLines {
    fn mark(&self, line: u64) {
        if let Ok(mut lines) = self.0.lock() {
            lines.insert(line);
        }
    }

    /// Whether any line is marked (not yet taken): when none is, a row
    /// need not count the lines it spans to ask `take_through`.
    pub fn any(&self) -> bool {
        self.0.lock().is_ok_and(|lines| !lines.is_empty())
    }

    /// Whether a line from `first` to `last` was marked; forgets every
    /// mark up to `last` (rows are read in order).
    pub fn take_through(&self, first: u64, last: u64) -> bool {
        let Ok(mut lines) = self.0.lock() else {
            return false;
        };
        let hit = lines.range(first..=last).next().is_some();
        let later = lines.split_off(&last.saturating_add(1));
        *lines = later;
        hit
    }
}

/// What the text layer did to the file, for the report.
#[derive(Debug, Clone)]
pub struct TextInfo {
    pub encoding: TextEncoding,
    /// Lines holding bytes the encoding could not decode.
    pub malformed: MalformedLines,
    codec: Option<Codec>,
    compressed_bytes: u64,
    /// Bytes the decompressor has produced so far (shared with the reader).
    uncompressed: Arc<AtomicU64>,
}

impl TextInfo {
    pub fn compression(&self) -> Option<Compression> {
        self.codec.map(|codec| Compression {
            codec: codec.name().to_owned(),
            compressed_bytes: self.compressed_bytes,
            uncompressed_bytes: self.uncompressed.load(Ordering::Relaxed),
        })
    }
}

/// An opened text file: UTF-8 bytes, and how they were obtained.
pub struct Text {
    pub reader: Box<dyn Read + Send>,
    pub info: TextInfo,
}

/// Counts what is read from the file, for progress and the ratio limit.
struct Counted {
    inner: File,
    control: Control,
    read: Arc<AtomicU64>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf)?;
        self.control.add_bytes(read as u64);
        self.read.fetch_add(read as u64, Ordering::Relaxed);
        Ok(read)
    }
}

/// A decompressor's output, refused once it grows past `limit` times the
/// input read so far.
struct Inflated<R> {
    inner: R,
    codec: Codec,
    compressed: Arc<AtomicU64>,
    uncompressed: Arc<AtomicU64>,
    limit: u64,
}

impl<R: Read> Read for Inflated<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = self.inner.read(buf).map_err(|e| {
            io::Error::other(TextError::Corrupt {
                codec: self.codec,
                detail: e.to_string(),
            })
        })?;
        let total = self.uncompressed.fetch_add(read as u64, Ordering::Relaxed) + read as u64;
        let compressed = self.compressed.load(Ordering::Relaxed).max(1);
        if total > RATIO_FLOOR_BYTES && total > compressed.saturating_mul(self.limit) {
            return Err(io::Error::other(TextError::TooCompressed {
                codec: self.codec,
                compressed,
                uncompressed: total,
                limit: self.limit,
            }));
        }
        Ok(read)
    }
}

/// Opens `path` as UTF-8 text. `encoding` is the uploader's label, which
/// overrides detection.
pub fn open(path: &Path, encoding: Option<&str>, control: &Control) -> Result<Text, OpenError> {
    let requested = match encoding {
        None => None,
        Some(label) => Some(
            crate::encoding_name(label)
                .and_then(|name| Encoding::for_label(name.as_bytes()))
                .ok_or_else(|| ReadFailure {
                    code: "unknown_encoding",
                    message: format!("{label:?} is not an encoding we know (try utf-8, windows-1252, iso-8859-15, utf-16le)"),
                    line: None,
                })?,
        ),
    };
    let file = File::open(path).map_err(ValidationError::io(path))?;
    let compressed_bytes = file.metadata().map_or(0, |m| m.len());
    let read = Arc::new(AtomicU64::new(0));
    let mut raw = BufReader::with_capacity(
        1 << 16,
        Counted {
            inner: file,
            control: control.clone(),
            read: read.clone(),
        },
    );
    let head = io::BufRead::fill_buf(&mut raw).map_err(ValidationError::io(path))?;
    let codec = Codec::sniff(head);
    let (mut stream, uncompressed): (Box<dyn Read + Send>, _) = match codec {
        None => (Box::new(raw), read),
        Some(codec) => {
            let uncompressed = Arc::new(AtomicU64::new(0));
            let inner = codec.decoder(raw).map_err(ValidationError::io(path))?;
            let inflated = Inflated {
                inner,
                codec,
                compressed: read,
                uncompressed: uncompressed.clone(),
                limit: control.limits().max_compression_ratio,
            };
            (Box::new(inflated), uncompressed)
        }
    };
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    (&mut stream)
        .take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(|e| match TextError::failure_of(&e) {
            Some(failure) => OpenError::Content(failure),
            None => OpenError::Io(ValidationError::io(path)(e)),
        })?;
    let complete = sample.len() < SAMPLE_BYTES;
    let (chosen, encoding) = detect(&sample, complete, requested)?;
    let whole = Cursor::new(sample).chain(stream);
    let malformed = MalformedLines::default();
    let reader: Box<dyn Read + Send> = if chosen == UTF_8 {
        // Read as is: the CSV and JSON readers check UTF-8 themselves (with
        // the line) and drop a BOM.
        Box::new(whole)
    } else {
        Box::new(Transcoder::new(whole, chosen, malformed.clone()))
    };
    Ok(Text {
        reader,
        info: TextInfo {
            encoding,
            malformed,
            codec,
            compressed_bytes,
            uncompressed,
        },
    })
}

/// Decodes `inner` from `encoding` to UTF-8 as it is read.
struct Transcoder<R> {
    inner: R,
    decoder: encoding_rs::Decoder,
    input: Vec<u8>,
    input_at: usize,
    input_end: bool,
    output: Vec<u8>,
    output_at: usize,
    output_len: usize,
    /// Newlines in the output so far, for the line of an error.
    newlines: u64,
    /// An undecodable sequence was found after the output now pending: a
    /// U+FFFD goes out next.
    replace_next: bool,
    malformed: MalformedLines,
    done: bool,
}

const CHUNK: usize = 64 * 1024;

impl<R: Read> Transcoder<R> {
    fn new(inner: R, encoding: &'static Encoding, malformed: MalformedLines) -> Self {
        Self {
            inner,
            decoder: encoding.new_decoder_with_bom_removal(),
            input: Vec::with_capacity(CHUNK),
            input_at: 0,
            input_end: false,
            output: vec![0; CHUNK],
            output_at: 0,
            output_len: 0,
            newlines: 0,
            replace_next: false,
            malformed,
            done: false,
        }
    }

    /// Decodes the next chunk into `output`.
    fn fill(&mut self) -> io::Result<()> {
        if std::mem::take(&mut self.replace_next) {
            let replacement = char::REPLACEMENT_CHARACTER
                .encode_utf8(&mut self.output[..4])
                .len();
            self.output_at = 0;
            self.output_len = replacement;
            return Ok(());
        }
        loop {
            if self.input_at == self.input.len() && !self.input_end {
                self.input.resize(CHUNK, 0);
                let read = self.inner.read(&mut self.input)?;
                self.input.truncate(read);
                self.input_at = 0;
                self.input_end = read == 0;
            }
            let (result, read, written) = self.decoder.decode_to_utf8_without_replacement(
                &self.input[self.input_at..],
                &mut self.output,
                self.input_end,
            );
            self.input_at += read;
            self.output_at = 0;
            self.output_len = written;
            let newlines = self.output[..written]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.newlines += newlines as u64;
            match result {
                DecoderResult::Malformed(..) => {
                    self.malformed.mark(self.newlines + 1);
                    self.replace_next = true;
                    return Ok(());
                }
                DecoderResult::OutputFull => return Ok(()),
                DecoderResult::InputEmpty if self.input_end => {
                    self.done = true;
                    return Ok(());
                }
                DecoderResult::InputEmpty if written > 0 => return Ok(()),
                DecoderResult::InputEmpty => {}
            }
        }
    }
}

impl<R: Read> Read for Transcoder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.output_at == self.output_len {
            if self.done && !self.replace_next {
                return Ok(0);
            }
            self.fill()?;
        }
        let n = buf.len().min(self.output_len - self.output_at);
        buf[..n].copy_from_slice(&self.output[self.output_at..self.output_at + n]);
        self.output_at += n;
        Ok(n)
    }
}

/// Decompresses the start of a compressed file, as far as `head` goes, for
/// format detection: at most `limit` bytes, none when it cannot be read.
pub fn inflate_head(codec: Codec, head: &[u8], limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    if let Ok(decoder) = codec.decoder(head) {
        let mut decoder = decoder.take(limit as u64);
        let mut chunk = [0u8; 4096];
        // A head is cut off mid-stream: keep what came before the error.
        while let Ok(read) = decoder.read(&mut chunk) {
            if read == 0 {
                break;
            }
            out.extend_from_slice(&chunk[..read]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text, and the lines marked undecodable.
    fn transcode(bytes: &[u8], encoding: &'static Encoding) -> (String, Vec<u64>) {
        let marks = MalformedLines::default();
        let mut out = String::new();
        Transcoder::new(bytes, encoding, marks.clone())
            .read_to_string(&mut out)
            .expect("transcodes");
        let lines = (1..=10).filter(|&l| marks.take_through(l, l)).collect();
        (out, lines)
    }

    #[test]
    fn transcodes_and_marks_undecodable_bytes_with_their_line() {
        assert_eq!(
            transcode(b"a\nS\xe3o\n", encoding_rs::WINDOWS_1252),
            ("a\nSão\n".to_owned(), vec![])
        );
        assert_eq!(
            transcode(b"\xff\xfea\x00\n\x00\xe9\x00", encoding_rs::UTF_16LE),
            ("a\né".to_owned(), vec![])
        );
        // 0xAA is unassigned in windows-1253 (Greek).
        assert_eq!(
            transcode(b"a\nb\nc\xaa\nd\n", encoding_rs::WINDOWS_1253),
            ("a\nb\nc\u{fffd}\nd\n".to_owned(), vec![3])
        );
        // A UTF-16 file cut in the middle of a character.
        assert_eq!(transcode(b"a\x00b", encoding_rs::UTF_16LE).1, [1]);
    }

    #[test]
    fn marks_are_taken_once_and_in_order() {
        let marks = MalformedLines::default();
        for line in [2, 5, 9] {
            marks.mark(line);
        }
        assert!(!marks.take_through(1, 1));
        assert!(marks.take_through(3, 6), "a record spanning lines 3 to 6");
        assert!(!marks.take_through(2, 2), "forgotten once passed");
        assert!(marks.take_through(9, 9));
    }

    #[test]
    fn inflates_the_head_of_a_compressed_file() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"a,b\n1,2\n").expect("compress");
        let gz = gz.finish().expect("compress");
        assert_eq!(Codec::sniff(&gz), Some(Codec::Gzip));
        assert_eq!(inflate_head(Codec::Gzip, &gz, 100), b"a,b\n1,2\n");
        // Cut short: what could be read.
        let zst = zstd::encode_all(&b"x,y\n".repeat(1000)[..], 3).expect("compress");
        assert_eq!(Codec::sniff(&zst), Some(Codec::Zstd));
        assert!(inflate_head(Codec::Zstd, &zst, 8).starts_with(b"x,y\n"));
    }
}
