//! Telling file formats apart by their content, not only their names.

use ingest_domain::FileFormat;

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
    (b"\x1f\x8b", "gzip-compressed"),
    (b"BZh", "bzip2-compressed"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed"),
    (b"7z\xbc\xaf\x27\x1c", "7-Zip"),
    (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",
        "legacy Excel (.xls) or other OLE",
    ),
    (b"\xff\xfe", "UTF-16 text"),
    (b"\xfe\xff", "UTF-16 text"),
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
    if head.contains(&0) {
        return Err(DetectError::Unsupported("binary (non-text)".to_owned()));
    }
    let text = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
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
/// or the uploader claims. A name with no known extension claims nothing.
pub fn detect_format(
    head: &[u8],
    file_name: &str,
    declared: Option<FileFormat>,
) -> Result<FileFormat, DetectError> {
    let actual = content_kind(head)?;
    match declared.or_else(|| FileFormat::from_file_name(file_name)) {
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
