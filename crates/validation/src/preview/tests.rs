use std::io::Write;

use chrono::Utc;
use ingest_domain::{ColumnType, FileFormat, Severity};
use serde_json::json;

use super::preview;
use crate::{Control, Limits, Options, OutputFormat};

fn options(format: FileFormat) -> Options {
    Options::new(format, Utc::now(), OutputFormat::Parquet)
}

fn run(bytes: &[u8], format: FileFormat, truncated: bool) -> ingest_domain::FilePreview {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sent");
    std::fs::write(&path, bytes).expect("write");
    preview(
        &path,
        &options(format),
        truncated,
        &Control::new(Limits::default()),
    )
    .expect("preview runs")
}

fn csv(rows: usize) -> Vec<u8> {
    let mut text = String::from("time,zip,amount,ok\n");
    for i in 0..rows {
        text.push_str(&format!(
            "2024-01-{:02}T00:00:00Z,{:05},{}.5,true\n",
            i % 28 + 1,
            i,
            i
        ));
    }
    text.into_bytes()
}

#[test]
fn shows_types_the_time_column_and_the_first_rows_typed() {
    let preview = run(&csv(80), FileFormat::Csv, false);
    let types: Vec<_> = preview.columns.iter().map(|c| c.column_type).collect();
    assert_eq!(
        types,
        [
            ColumnType::Timestamp,
            // Five-digit codes with leading zeros stay text (issue 10 §5).
            ColumnType::String,
            ColumnType::Double,
            ColumnType::Boolean
        ]
    );
    assert_eq!(preview.timestamp.column.as_deref(), Some("time"));
    assert_eq!(preview.rows_read, 80);
    assert_eq!(preview.rows.len(), ingest_domain::PREVIEW_ROWS);
    let second = &preview.rows[1];
    assert_eq!(second.line, 3);
    assert_eq!(
        second.values,
        [
            json!("2024-01-02T00:00:00.000Z"),
            json!("00001"),
            json!(1.5),
            json!(true)
        ]
    );
    assert_eq!(second.rejected, None);
    assert_eq!(preview.delimiter.as_deref(), Some(","));
    assert_eq!(
        preview.encoding.as_ref().map(|e| e.name.as_str()),
        Some("UTF-8")
    );
    assert!(!preview.truncated);
}

#[test]
fn a_row_without_a_time_is_shown_as_rejected() {
    let mut text = csv(30);
    text.extend_from_slice(b"not a time,00001,1.5,true\n");
    let preview = run(&text, FileFormat::Csv, false);
    let last = preview.rows.last().expect("rows");
    assert_eq!(last.line, 32);
    assert_eq!(last.values[0], serde_json::Value::Null);
    assert!(last.rejected.as_deref().is_some_and(|r| r.contains("time")));
}

#[test]
fn a_cut_last_line_is_left_out_not_reported() {
    let mut text = csv(40);
    // The sender cut the file in the middle of a row (and of a quoted field).
    text.extend_from_slice(b"2024-01-09T00:00:00Z,\"000");
    let cut = run(&text, FileFormat::Csv, true);
    assert!(cut.truncated);
    assert_eq!(cut.rows_read, 40);
    assert!(
        cut.problems.iter().all(|p| p.severity != Severity::Error),
        "{:?}",
        cut.problems
    );
    // Without the flag, the same bytes are a broken file.
    let whole = run(&text, FileFormat::Csv, false);
    assert!(whole.problems.iter().any(|p| p.severity == Severity::Error));
}

#[test]
fn a_cut_gzip_file_is_previewed_from_what_arrived() {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&csv(20_000)).expect("compress");
    let gz = gz.finish().expect("compress");
    let preview = run(&gz[..gz.len() / 2], FileFormat::Csv, true);
    assert!(
        preview
            .problems
            .iter()
            .all(|p| p.severity != Severity::Error),
        "{:?}",
        preview.problems
    );
    assert!(preview.rows_read > 1000 && preview.rows_read < 20_000);
    let compression = preview.compression.expect("compression reported");
    assert_eq!(compression.codec, "gzip");
    assert_eq!(compression.compressed_bytes, (gz.len() / 2) as u64);
}

#[test]
fn a_cut_utf16_file_keeps_whole_characters() {
    let text = "time,name\n2024-01-01T00:00:00Z,São Paulo\n2024-01-02T00:00:00Z,Zürich\n";
    let mut bytes = vec![0xff, 0xfe];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    bytes.truncate(bytes.len() - 5); // inside the last line, mid code unit
    let preview = run(&bytes, FileFormat::Csv, true);
    assert_eq!(preview.rows_read, 1, "{:?}", preview.problems);
    assert_eq!(preview.rows[0].values[1], json!("São Paulo"));
    assert_eq!(
        preview.encoding.map(|e| e.name),
        Some("UTF-16LE".to_owned())
    );
}

#[test]
fn the_truncated_flag_means_nothing_for_a_whole_format() {
    // XLSX and Parquet are sent whole: the flag is ignored, not trusted.
    let preview = run(b"PAR1 not really", FileFormat::Parquet, true);
    assert!(!preview.truncated);
    assert!(preview
        .problems
        .iter()
        .any(|p| p.severity == Severity::Error));
}

/// Previews `bytes` (whole) with `amount` typed as `long` and `budget`.
fn run_typed(bytes: &[u8], budget: Option<u64>) -> ingest_domain::FilePreview {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("sent");
    std::fs::write(&path, bytes).expect("write");
    let mut options = options(FileFormat::Csv);
    options
        .column_types
        .insert("amount".to_owned(), ColumnType::Long);
    options.rejected_rows.budget.max_rows = budget;
    let preview =
        preview(&path, &options, false, &Control::new(Limits::default())).expect("preview runs");
    let left: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").collect();
    assert_eq!(left.len(), 1, "the preview wrote nothing else");
    preview
}

#[test]
fn a_value_breaking_a_chosen_type_is_a_problem_and_its_row_rejected() {
    // `amount` is `1.5`, `2.5`, …: none is a long.
    let text = csv(3);
    let preview = run_typed(&text, None);
    assert_eq!(preview.columns[2].column_type, ColumnType::Long);
    let first = &preview.rows[0];
    assert_eq!(first.mistyped, ["amount"]);
    let reason = first.rejected.as_deref().expect("rejected");
    assert!(reason.contains("\"0.5\" is not a long"), "{reason}");
    // Without a budget the upload would fail, listing the lines.
    let errors: Vec<_> = preview
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .map(|p| (p.code.as_str(), p.line))
        .collect();
    assert_eq!(
        errors,
        [
            ("value_breaks_column_type", Some(2)),
            ("value_breaks_column_type", Some(3)),
            ("value_breaks_column_type", Some(4))
        ]
    );

    // Within a budget they are warnings, and the preview says so.
    let preview = run_typed(&text, Some(3));
    assert!(preview
        .problems
        .iter()
        .all(|p| p.severity != Severity::Error));
    assert!(preview
        .problems
        .iter()
        .any(|p| p.code == "rows_rejected_within_budget"));
}
