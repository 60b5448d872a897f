//! An XLSX archive checked before calamine trusts it. calamine holds the
//! shared-strings table whole and reserves room for as many strings as the
//! table *declares* (`uniqueCount`): a 2 KB file declaring 10^11 strings
//! aborted the process. So every entry is inflated here once, streaming and
//! counting, against the entry, total and ratio limits (declared sizes are
//! checked first, then the real ones, since a zip can lie about both); the
//! shared strings' `uniqueCount` must fit the bytes that hold them, and a
//! sheet's `dimension` must lie inside Excel's grid.

use std::{fs::File, io::Read, path::Path};

use super::{over_limit, ReadFailure};
use crate::{Control, Limits};

/// Excel's grid: columns A..XFD, rows 1..1048576.
pub const MAX_SHEET_COLUMNS: u32 = 16_384;
pub const MAX_SHEET_ROWS: u32 = 1_048_576;
/// Entries smaller than this are not held to the compression ratio: tiny
/// XML parts compress very well and cannot hurt.
const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;
/// Bytes at the start of a part searched for its root attributes.
const HEAD_BYTES: usize = 64 * 1024;
/// The smallest shared string, `<si/>`.
const MIN_SHARED_STRING_BYTES: u64 = 5;

fn unreadable(error: &dyn std::fmt::Display) -> ReadFailure {
    ReadFailure {
        code: "unreadable_xlsx",
        message: format!("the workbook cannot be read: {error}"),
        line: None,
    }
}

/// What one entry turned out to hold.
struct Inflated {
    bytes: u64,
    /// Its first `HEAD_BYTES`, for the root element's attributes.
    head: Vec<u8>,
}

pub fn check(path: &Path, control: &Control) -> Result<(), ReadFailure> {
    let limits = control.limits();
    let file = File::open(path).map_err(|e| unreadable(&e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| unreadable(&e))?;
    if archive.len() > limits.xlsx_max_entries {
        return Err(over_limit(
            "xlsx_too_many_entries",
            "the workbook archive has too many entries",
            archive.len(),
            limits.xlsx_max_entries,
            None,
        ));
    }
    // Declared sizes first: a bomb is refused without inflating anything.
    let mut declared_total = 0u64;
    for index in 0..archive.len() {
        let entry = archive.by_index_raw(index).map_err(|e| unreadable(&e))?;
        let name = entry.name().map_err(|e| unreadable(&e))?.into_owned();
        declared_total = declared_total.saturating_add(entry.size());
        check_entry(&name, entry.size(), entry.compressed_size(), limits)?;
    }
    check_total(declared_total, limits)?;

    let mut total = 0u64;
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(|e| unreadable(&e))?;
        let name = entry.name().map_err(|e| unreadable(&e))?.into_owned();
        let compressed = entry.compressed_size();
        let inflated = inflate(&mut entry, &name, limits, control)?;
        check_entry(&name, inflated.bytes, compressed, limits)?;
        total = total.saturating_add(inflated.bytes);
        check_total(total, limits)?;
        let lower = name.to_ascii_lowercase();
        if lower.ends_with("sharedstrings.xml") {
            check_shared_strings(&inflated, limits)?;
        } else if lower.contains("worksheets/") && lower.ends_with(".xml") {
            check_dimension(&name, &inflated.head)?;
        }
    }
    Ok(())
}

fn check_entry(name: &str, size: u64, compressed: u64, limits: &Limits) -> Result<(), ReadFailure> {
    if size > limits.xlsx_max_entry_bytes {
        return Err(over_limit(
            "xlsx_entry_too_large",
            format_args!("the workbook part {name:?} is too large uncompressed"),
            format_args!("{size} bytes"),
            format_args!("{} bytes", limits.xlsx_max_entry_bytes),
            None,
        ));
    }
    let ratio = size / compressed.max(1);
    if size > RATIO_FLOOR_BYTES && ratio > limits.xlsx_max_compression_ratio {
        return Err(over_limit(
            "xlsx_compression_ratio",
            format_args!("the workbook part {name:?} inflates suspiciously (a zip bomb?)"),
            format_args!("{compressed} bytes become {size}, {ratio} times more"),
            format_args!("{} times", limits.xlsx_max_compression_ratio),
            None,
        ));
    }
    Ok(())
}

fn check_total(total: u64, limits: &Limits) -> Result<(), ReadFailure> {
    if total > limits.xlsx_max_total_bytes {
        return Err(over_limit(
            "xlsx_too_large",
            "the workbook is too large uncompressed",
            format_args!("at least {total} bytes"),
            format_args!("{} bytes", limits.xlsx_max_total_bytes),
            None,
        ));
    }
    Ok(())
}

/// Reads the entry to its end (or one byte past the entry limit), keeping
/// only its head.
fn inflate(
    entry: &mut impl Read,
    name: &str,
    limits: &Limits,
    control: &Control,
) -> Result<Inflated, ReadFailure> {
    let mut chunk = vec![0u8; 64 * 1024];
    let mut inflated = Inflated {
        bytes: 0,
        head: Vec::new(),
    };
    loop {
        if control.is_cancelled() {
            return Err(ReadFailure {
                code: "cancelled",
                message: "validation was cancelled".into(),
                line: None,
            });
        }
        let read = entry.read(&mut chunk).map_err(|e| unreadable(&e))?;
        if read == 0 {
            return Ok(inflated);
        }
        let room = HEAD_BYTES.saturating_sub(inflated.head.len()).min(read);
        inflated.head.extend_from_slice(&chunk[..room]);
        inflated.bytes += read as u64;
        if inflated.bytes > limits.xlsx_max_entry_bytes {
            return Err(over_limit(
                "xlsx_entry_too_large",
                format_args!("the workbook part {name:?} is too large uncompressed"),
                format_args!("more than {} bytes", limits.xlsx_max_entry_bytes),
                format_args!("{} bytes", limits.xlsx_max_entry_bytes),
                None,
            ));
        }
    }
}

/// The value of `attribute` in the first tag named `element` (any prefix)
/// within `head`, as raw text.
fn root_attribute<'a>(head: &'a [u8], element: &str, attribute: &str) -> Option<&'a str> {
    let text = std::str::from_utf8(head)
        .unwrap_or_else(|e| std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or(""));
    let mut rest = text;
    let tag = loop {
        let start = rest.find('<')?;
        let after = &rest[start + 1..];
        let end = after.find('>')?;
        let tag = &after[..end];
        let name = tag.split(|c: char| c.is_whitespace() || c == '/').next()?;
        if name.rsplit(':').next() == Some(element) {
            break tag;
        }
        rest = &after[end..];
    };
    let mut search = tag;
    loop {
        let at = search.find(attribute)?;
        let before_ok = at == 0 || search[..at].ends_with(char::is_whitespace);
        let after = search[at + attribute.len()..].trim_start();
        if before_ok {
            if let Some(value) = after.strip_prefix('=') {
                let value = value.trim_start();
                let quote = value.chars().next()?;
                let body = &value[1..];
                return body.find(quote).map(|end| &body[..end]);
            }
        }
        search = &search[at + attribute.len()..];
    }
}

fn check_shared_strings(part: &Inflated, limits: &Limits) -> Result<(), ReadFailure> {
    let Some(declared) = root_attribute(&part.head, "sst", "uniqueCount") else {
        return Ok(());
    };
    let digits = declared.trim();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(()); // calamine ignores what it cannot read as a number.
    }
    let declared: u64 = digits.parse().unwrap_or(u64::MAX);
    let room = part.bytes / MIN_SHARED_STRING_BYTES;
    if declared > limits.xlsx_max_shared_strings || declared > room {
        return Err(over_limit(
            "xlsx_too_many_shared_strings",
            format_args!(
                "the workbook declares more shared strings than allowed or than its {} bytes of strings can hold ({room})",
                part.bytes
            ),
            format_args!("uniqueCount {declared}"),
            limits.xlsx_max_shared_strings,
            None,
        ));
    }
    Ok(())
}

/// A cell reference such as `XFD1048576` as 1-based (column, row).
pub fn cell_reference(text: &str) -> Option<(u64, u64)> {
    let text = text.trim().replace('$', "");
    let split = text.find(|c: char| c.is_ascii_digit())?;
    let (letters, digits) = text.split_at(split);
    if letters.is_empty() || letters.len() > 8 || !letters.chars().all(|c| c.is_ascii_alphabetic())
    {
        return None;
    }
    let column = letters.bytes().fold(0u64, |n, b| {
        n * 26 + u64::from(b.to_ascii_uppercase() - b'A' + 1)
    });
    let row = digits.parse::<u64>().ok()?;
    Some((column, row))
}

fn check_dimension(name: &str, head: &[u8]) -> Result<(), ReadFailure> {
    let Some(range) = root_attribute(head, "dimension", "ref") else {
        return Ok(());
    };
    for corner in range.split(':') {
        let inside = cell_reference(corner).is_some_and(|(column, row)| {
            (1..=u64::from(MAX_SHEET_COLUMNS)).contains(&column)
                && (1..=u64::from(MAX_SHEET_ROWS)).contains(&row)
        });
        if !inside {
            return Err(over_limit(
                "xlsx_cell_out_of_range",
                format_args!("the sheet {name:?} declares a range outside Excel's grid"),
                format_args!("dimension {range:?}"),
                "XFD1048576",
                None,
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_root_attributes_with_or_without_prefixes() {
        let xml = br#"<?xml version="1.0"?><x:sst xmlns:x="u" count="3" uniqueCount='100000000000'><si/>"#;
        assert_eq!(
            root_attribute(xml, "sst", "uniqueCount"),
            Some("100000000000")
        );
        assert_eq!(root_attribute(xml, "sst", "count"), Some("3"));
        let sheet = br#"<worksheet><sheetPr/><dimension ref="A1:ZZZZZZ5"/>"#;
        assert_eq!(
            root_attribute(sheet, "dimension", "ref"),
            Some("A1:ZZZZZZ5")
        );
        assert_eq!(root_attribute(sheet, "sst", "uniqueCount"), None);
    }

    #[test]
    fn reads_cell_references() {
        assert_eq!(cell_reference("A1"), Some((1, 1)));
        assert_eq!(cell_reference("$XFD$1048576"), Some((16_384, 1_048_576)));
        assert_eq!(cell_reference("ZZZZZZ5"), Some((321_272_406, 5)));
        assert_eq!(cell_reference("5"), None);
    }
}
