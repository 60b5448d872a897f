//! The complete lines at the start of a text file that was cut off by its
//! sender: decompressed when it is gzip or zstd (a cut compressed stream
//! ends in an error that is only the cut), and ending after its last line
//! break, so the reader never sees a half line.
//!
//! Cutting after the last `\n` byte is safe in every encoding we read:
//! in UTF-8 and the legacy multi-byte encodings (Shift_JIS, GB18030, EUC-*,
//! Big5) 0x0A is never part of another character; UTF-16 is handled by
//! its byte order.

use std::{
    fs::File,
    io::{self, BufReader, BufWriter, Read, Write},
    path::{Path, PathBuf},
};

use ingest_domain::Compression;

use crate::source::text::Codec;
use crate::source::{over_limit, ReadFailure};
use crate::{Control, ValidationError};

/// Most text a cut compressed file is decompressed into: a preview needs
/// the start, and this bounds the disk and time a small hostile file costs.
pub const MAX_CUT_TEXT_BYTES: u64 = 64 * 1024 * 1024;
/// Output a compressed file may produce before its ratio is checked, as in
/// `source::text`.
const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;

/// The file to read instead of the one sent.
pub struct CompleteLines {
    pub path: PathBuf,
    /// The sent file's compression, sizes as far as it was read.
    pub compression: Option<Compression>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unit {
    /// One byte per code unit: `\n` is 0x0A.
    Byte,
    /// UTF-16 little-endian: `\n` is 0x0A 0x00 at an even offset.
    Utf16Le,
    /// UTF-16 big-endian: `\n` is 0x00 0x0A at an even offset.
    Utf16Be,
}

impl Unit {
    fn of(head: &[u8], encoding: Option<&str>) -> Self {
        match encoding.and_then(crate::encoding_name) {
            Some("UTF-16LE") => return Self::Utf16Le,
            Some("UTF-16BE") => return Self::Utf16Be,
            Some(_) => return Self::Byte,
            None => {}
        }
        if head.starts_with(b"\xff\xfe") {
            Self::Utf16Le
        } else if head.starts_with(b"\xfe\xff") {
            Self::Utf16Be
        } else {
            Self::Byte
        }
    }
}

/// Writes the complete lines of `path` (decompressed) to `<path>.lines`.
/// `Ok(Err(_))`: the file's content cannot be previewed (a compression
/// bomb, or compressed data that yields nothing).
pub fn complete_lines(
    path: &Path,
    encoding: Option<&str>,
    control: &Control,
) -> Result<Result<CompleteLines, ReadFailure>, ValidationError> {
    let file = File::open(path).map_err(ValidationError::io(path))?;
    let sent = file.metadata().map_or(0, |m| m.len());
    let mut input = BufReader::with_capacity(1 << 16, file);
    let head = io::BufRead::fill_buf(&mut input).map_err(ValidationError::io(path))?;
    let codec = Codec::sniff(head);
    let out_path = PathBuf::from(format!("{}.lines", path.display()));
    let out = File::create(&out_path).map_err(ValidationError::io(&out_path))?;
    let mut out = BufWriter::new(out);
    let copied = match codec {
        None => copy_lines(&mut input, &mut out, encoding, u64::MAX, false),
        Some(codec) => {
            let decoder = codec.decoder(input).map_err(ValidationError::io(path))?;
            copy_lines(decoder, &mut out, encoding, MAX_CUT_TEXT_BYTES, true)
        }
    }
    .map_err(ValidationError::io(path))?;
    let file = out
        .into_inner()
        .map_err(|e| ValidationError::io(&out_path)(e.into_error()))?;
    file.set_len(copied.cut)
        .map_err(ValidationError::io(&out_path))?;
    control.add_bytes(sent);

    let Some(codec) = codec else {
        return Ok(Ok(CompleteLines {
            path: out_path,
            compression: None,
        }));
    };
    let limit = control.limits().max_compression_ratio;
    if copied.written > RATIO_FLOOR_BYTES && copied.written > sent.max(1).saturating_mul(limit) {
        return Ok(Err(over_limit(
            "compression_ratio",
            format_args!(
                "the {} data expands too much ({} bytes from {sent})",
                codec.name(),
                copied.written
            ),
            format_args!("a ratio over {}", copied.written / sent.max(1)),
            limit,
            None,
        )));
    }
    if copied.written == 0 {
        return Ok(Err(ReadFailure {
            code: "corrupt_compression",
            message: format!(
                "the {} data cannot be decompressed: {}",
                codec.name(),
                copied.error.unwrap_or_else(|| "it holds nothing".into())
            ),
            line: None,
        }));
    }
    Ok(Ok(CompleteLines {
        path: out_path,
        compression: Some(Compression {
            codec: codec.name().to_owned(),
            compressed_bytes: sent,
            uncompressed_bytes: copied.written,
        }),
    }))
}

struct Copied {
    /// Bytes copied.
    written: u64,
    /// Where the last complete line ends (the whole copy when there is no
    /// line break at all: that is all there is to read).
    cut: u64,
    /// The read error that ended a cut compressed stream.
    error: Option<String>,
}

/// Copies at most `cap` bytes of `input`, noting where the last line ends.
/// `cut_stream`: a read error is the end of a cut stream, not a failure.
fn copy_lines(
    mut input: impl Read,
    out: &mut impl Write,
    encoding: Option<&str>,
    cap: u64,
    cut_stream: bool,
) -> io::Result<Copied> {
    let mut buf = vec![0u8; 1 << 16];
    let (mut written, mut line_end, mut error) = (0u64, None::<u64>, None);
    let mut unit = None;
    let mut previous: Option<u8> = None;
    while written < cap {
        let want = buf
            .len()
            .min(usize::try_from(cap - written).unwrap_or(usize::MAX));
        let read = match input.read(&mut buf[..want]) {
            Ok(0) => break,
            Ok(read) => read,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) if cut_stream => {
                error = Some(e.to_string());
                break;
            }
            Err(e) => return Err(e),
        };
        let chunk = &buf[..read];
        let unit = *unit.get_or_insert_with(|| Unit::of(chunk, encoding));
        for (i, &byte) in chunk.iter().enumerate() {
            let at = written + i as u64;
            let end = match unit {
                Unit::Byte => (byte == b'\n').then_some(at + 1),
                // `at` is the second byte of a code unit when it is odd.
                Unit::Utf16Le => {
                    (at % 2 == 1 && byte == 0 && previous == Some(b'\n')).then_some(at + 1)
                }
                Unit::Utf16Be => {
                    (at % 2 == 1 && byte == b'\n' && previous == Some(0)).then_some(at + 1)
                }
            };
            if end.is_some() {
                line_end = end;
            }
            previous = Some(byte);
        }
        out.write_all(chunk)?;
        written += read as u64;
    }
    out.flush()?;
    Ok(Copied {
        written,
        cut: line_end.unwrap_or(written),
        error,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(bytes: &[u8], encoding: Option<&str>) -> Vec<u8> {
        let mut out = Vec::new();
        let copied = copy_lines(bytes, &mut out, encoding, u64::MAX, false).expect("copies");
        out.truncate(usize::try_from(copied.cut).expect("small"));
        out
    }

    #[test]
    fn keeps_complete_lines_in_every_code_unit() {
        assert_eq!(lines(b"a,b\n1,2\n3,", None), b"a,b\n1,2\n");
        assert_eq!(lines(b"a,b\n1,2\n", None), b"a,b\n1,2\n");
        assert_eq!(lines(b"a,b", None), b"a,b", "no break: all there is");
        // UTF-16LE "a\nb\nc" cut in the middle of `c`'s code unit.
        assert_eq!(
            lines(b"\xff\xfea\x00\n\x00b\x00\n\x00c", None),
            b"\xff\xfea\x00\n\x00b\x00\n\x00"
        );
        // UTF-16LE: U+0A00 is 0x00 0x0A, not a line break.
        assert_eq!(
            lines(b"\xff\xfe\x00\x0ax\x00", None),
            b"\xff\xfe\x00\x0ax\x00"
        );
        assert_eq!(
            lines(b"\xfe\xff\x00a\x00\n\x00b", None),
            b"\xfe\xff\x00a\x00\n"
        );
        assert_eq!(lines(b"a\x00\n\x00b\x00", Some("utf-16le")), b"a\x00\n\x00");
    }

    #[test]
    fn a_cut_compressed_stream_ends_where_it_was_cut() {
        let text = b"id,value\n"
            .iter()
            .copied()
            .chain((0..5_000).flat_map(|i| format!("{i},{}\n", i * 7).into_bytes()));
        let text: Vec<u8> = text.collect();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&text).expect("compress");
        let gz = gz.finish().expect("compress");
        let half = &gz[..gz.len() / 2];
        let decoder = Codec::Gzip.decoder(half).expect("decoder");
        let mut out = Vec::new();
        let copied = copy_lines(decoder, &mut out, None, u64::MAX, true).expect("tolerated");
        out.truncate(usize::try_from(copied.cut).expect("small"));
        assert!(copied.error.is_some(), "the cut is seen");
        assert!(out.len() > 1000 && out.ends_with(b"\n"));
        assert!(text.starts_with(&out));
    }
}
