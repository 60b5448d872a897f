//! Telling file formats apart by their content, not only their names: also
//! through gzip/zstd compression and UTF-16.

use ingest_domain::FileFormat;

use crate::source::{encoding::head_as_text, text::inflate_head, text::Codec};

/// Bytes from the start of a file that detection looks at.
pub const SNIFF_LEN: usize = 8 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DetectError {
    #[error("the file is empty")]
    Empty,
    #[error("{0} files are not supported; upload CSV, XLSX, Parquet or NDJSON")]
    Unsupported(String),
    #[error("the file is named or declared as {declared} but its content is {actual}")]
    Mismatch {
        declared: FileFormat,
        actual: String,
    },
}

/// Known signatures of files people upload by mistake.
const FOREIGN: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"%PDF", "PDF"),
    (b"BZh", "bzip2-compressed"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "legacy Excel (.xls) or other OLE",
    ),
    (b"ORC", "ORC"),
    (b"Obj\x01", "Avro"),
];

fn content_kind(head: &[u8]) -> Result<FileFormat, DetectError> {
    if head.is_empty() {
        return Err(DetectError::Empty);
    }
    if head.starts_with(b"PAR1") {
        return Ok(FileFormat::Parquet);
    }
    if head.starts_with(b"PK\x03\x04") {
        return Ok(FileFormat::Xlsx);
    }
    if let Some((_, name)) = FOREIGN.iter().find(|(magic, _)| head.starts_with(magic)) {
        return Err(DetectError::Unsupported((*name).to_owned()));
    }
    let text = head_as_text(head);
    if text.contains(&0) {
        return Err(DetectError::Unsupported("binary (non-text)".to_owned()));
    }
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&text);
    match text.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'{') => Ok(FileFormat::Ndjson),
        Some(b'[') => Err(DetectError::Unsupported("JSON array".to_owned())),
        _ => Ok(FileFormat::Csv),
    }
}

fn describe(format: FileFormat) -> String {
    match format {
        FileFormat::Csv => "delimited text (CSV)".into(),
        FileFormat::Xlsx => "a ZIP archive (XLSX)".into(),
        FileFormat::Parquet => "Parquet".into(),
        FileFormat::Ndjson => "JSON lines (NDJSON)".into(),
    }
}

/// The format of a file from its first bytes, checked against what its name
/// or the uploader claims. A name with no known extension claims nothing;
/// `.gz`, `.zst` after it are looked through (`sales.csv.gz` claims CSV).
pub fn detect_format(
    head: &[u8],
    file_name: &str,
    declared: Option<FileFormat>,
) -> Result<FileFormat, DetectError> {
    let actual = match Codec::sniff(head) {
        None => content_kind(head)?,
        Some(codec) => {
            let inner = inflate_head(codec, head, SNIFF_LEN);
            let compressed = |what: &str| {
                DetectError::Unsupported(format!("{}-compressed {what}", codec.name()))
            };
            if Codec::sniff(&inner).is_some() {
                return Err(compressed("compressed data"));
            }
            match content_kind(&inner) {
                Ok(format @ (FileFormat::Csv | FileFormat::Ndjson)) => format,
                Ok(other) => return Err(compressed(&format!("{other} (upload it uncompressed)"))),
                Err(DetectError::Empty) => return Err(compressed("data that cannot be read")),
                Err(error) => return Err(error),
            }
        }
    };
    let name = ["gz", "gzip", "zst", "zstd"]
        .iter()
        .find_map(|ext| {
            let (stem, found) = file_name.rsplit_once('.')?;
            found.eq_ignore_ascii_case(ext).then_some(stem)
        })
        .unwrap_or(file_name);
    match declared.or_else(|| FileFormat::from_file_name(name)) {
        Some(claimed) if claimed != actual => Err(DetectError::Mismatch {
            declared: claimed,
            actual: describe(actual),
        }),
        _ => Ok(actual),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_by_content() {
        assert_eq!(
            detect_format(b"a,b\n1,2\n", "x.csv", None),
            Ok(FileFormat::Csv)
        );
        assert_eq!(
            detect_format(b"\xef\xbb\xbfa;b\n", "x", None),
            Ok(FileFormat::Csv)
        );
        assert_eq!(
            detect_format(b"{\"a\":1}\n", "x.jsonl", None),
            Ok(FileFormat::Ndjson)
        );
        assert_eq!(
            detect_format(b"PAR1....", "x.parquet", None),
            Ok(FileFormat::Parquet)
        );
        assert_eq!(
            detect_format(b"PK\x03\x04....", "book.xlsx", None),
            Ok(FileFormat::Xlsx)
        );
    }

    #[test]
    fn sees_through_compression_and_utf16() {
        use std::io::Write;
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(b"{\"a\":1}\n").expect("compress");
        let gz = gz.finish().expect("compress");
        assert_eq!(
            detect_format(&gz, "events.jsonl.gz", None),
            Ok(FileFormat::Ndjson)
        );
        let zst = zstd::encode_all(&b"a,b\n1,2\n"[..], 3).expect("compress");
        assert_eq!(detect_format(&zst, "x.csv.zst", None), Ok(FileFormat::Csv));
        assert_eq!(detect_format(&zst, "blob", None), Ok(FileFormat::Csv));
        assert!(matches!(
            detect_format(&zst, "x.jsonl.zst", None),
            Err(DetectError::Mismatch { .. })
        ));
        let parquet = zstd::encode_all(&b"PAR1...."[..], 3).expect("compress");
        assert!(matches!(
            detect_format(&parquet, "x.parquet.zst", None),
            Err(DetectError::Unsupported(_))
        ));
        let with_bom: Vec<u8> = "\u{feff}a\tb\n1\t2\n"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        assert_eq!(detect_format(&with_bom, "x.txt", None), Ok(FileFormat::Csv));
        let json: Vec<u8> = "{\"a\":1}"
            .encode_utf16()
            .flat_map(u16::to_be_bytes)
            .collect();
        assert_eq!(detect_format(&json, "x", None), Ok(FileFormat::Ndjson));
    }

    #[test]
    fn rejects_what_it_cannot_read_with_the_reason() {
        assert_eq!(detect_format(b"", "x.csv", None), Err(DetectError::Empty));
        assert_eq!(
            detect_format(b"\x89PNG\r\n\x1a\n...", "photo.csv", None),
            Err(DetectError::Unsupported("PNG image".into()))
        );
        assert!(matches!(
            detect_format(b"a,b\n1,2", "book.xlsx", None),
            Err(DetectError::Mismatch {
                declared: FileFormat::Xlsx,
                ..
            })
        ));
        assert!(matches!(
            detect_format(b"a,b\n", "x.csv", Some(FileFormat::Parquet)),
            Err(DetectError::Mismatch {
                declared: FileFormat::Parquet,
                ..
            })
        ));
    }
}
