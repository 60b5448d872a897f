//! Every limit of `Limits`, and the hostile corpus of issue 9: each file
//! fails with its own code (or, when strange but legal, passes), and
//! nothing reads further than the limit it breaks.

use std::path::Path;

use chrono::Utc;
use ingest_domain::{FileFormat, ValidationReport};
use ingest_hostile_files::{corpus, long_line_csv, Outcome};

use crate::{validate, Control, Limits, OutputFormat, Pass, ValidationError};

fn format_of(path: &Path) -> FileFormat {
    match path.extension().and_then(|e| e.to_str()) {
        Some("xlsx") => FileFormat::Xlsx,
        Some("parquet") => FileFormat::Parquet,
        Some("json") => FileFormat::Ndjson,
        _ => FileFormat::Csv,
    }
}

fn run(path: &Path, timestamp_column: Option<&str>, control: &Control) -> ValidationReport {
    let options = crate::Options {
        timestamp_column: timestamp_column.map(str::to_owned),
        ..crate::Options::new(format_of(path), Utc::now(), OutputFormat::Parquet)
    };
    let output = path.with_extension("out.parquet");
    validate(path, &options, Some(&output), control).expect("validation runs")
}

fn with(limits: Limits) -> Control {
    Control::new(limits)
}

fn first_code(report: &ValidationReport) -> Option<&str> {
    report.first_error().map(|p| p.code.as_str())
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

#[test]
fn every_hostile_file_ends_as_expected() {
    let dir = tempfile::tempdir().expect("dir");
    for case in corpus(dir.path()).expect("corpus") {
        let report = run(&case.path, case.timestamp_column, &Control::default());
        match case.outcome {
            Outcome::Fails(code) => {
                assert_eq!(
                    first_code(&report),
                    Some(code),
                    "{}: {:?}",
                    case.name,
                    report.problems
                );
                let message = &report.first_error().expect("error").message;
                assert!(
                    crate::hint_for(code).is_some(),
                    "{}: a hint for {code}",
                    case.name
                );
                assert!(!message.is_empty(), "{}", case.name);
            }
            Outcome::Succeeds { rows_in, rejected } => {
                assert_eq!(
                    first_code(&report),
                    None,
                    "{}: {:?}",
                    case.name,
                    report.problems
                );
                assert_eq!(
                    (report.rows_in, report.rows_rejected),
                    (rows_in, rejected),
                    "{}",
                    case.name
                );
                assert_eq!(report.rows_accepted + report.rows_rejected, report.rows_in);
            }
        }
    }
}

#[test]
fn limit_failures_name_the_limit_and_what_was_seen() {
    let dir = tempfile::tempdir().expect("dir");
    let path = write(dir.path(), "wide.csv", "time,a,b,c\n2024-01-01,1,2,3\n");
    let report = run(
        &path,
        None,
        &with(Limits {
            max_columns: 3,
            ..Limits::default()
        }),
    );
    let error = report.first_error().expect("fails");
    assert_eq!(error.code, "too_many_columns");
    assert!(
        error.message.contains('4') && error.message.contains("limit is 3"),
        "{}",
        error.message
    );
}

#[test]
fn a_long_csv_line_fails_at_the_record_limit_without_reading_on() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("long.csv");
    long_line_csv(&path, 64 * 1024 * 1024).expect("write");
    let control = with(Limits {
        max_record_bytes: 1024 * 1024,
        ..Limits::default()
    });
    let report = run(&path, None, &control);
    let error = report.first_error().expect("fails");
    assert_eq!(error.code, "record_too_large");
    assert_eq!(error.line, Some(2));
    // Stopped about one read buffer past the limit, not at the end of the line.
    let read = control.progress().bytes_read;
    assert!(read < 4 * 1024 * 1024, "read {read} bytes of a 64 MiB line");
}

#[test]
fn a_long_ndjson_line_and_a_long_field_fail_with_their_codes() {
    let dir = tempfile::tempdir().expect("dir");
    let long = "x".repeat(5_000);
    let ndjson = write(
        dir.path(),
        "long.json",
        &format!("{{\"time\":\"2024-01-01\"}}\n{{\"time\":\"2024-01-02\",\"v\":\"{long}\"}}\n"),
    );
    let small = Limits {
        max_record_bytes: 1_000,
        max_field_bytes: 100,
        ..Limits::default()
    };
    let report = run(&ndjson, None, &with(small.clone()));
    assert_eq!(first_code(&report), Some("record_too_large"));
    let csv = write(
        dir.path(),
        "field.csv",
        &format!("time,v\n2024-01-01,{}\n", &long[..500]),
    );
    let report = run(&csv, None, &with(small));
    assert_eq!(first_code(&report), Some("field_too_large"));
}

#[test]
fn ndjson_keys_are_bounded_like_columns() {
    let dir = tempfile::tempdir().expect("dir");
    let lines: String = (0..50)
        .map(|i| format!("{{\"time\":\"2024-01-01\",\"k{i}\":1}}\n"))
        .collect();
    let path = write(dir.path(), "keys.json", &lines);
    let report = run(
        &path,
        None,
        &with(Limits {
            max_columns: 10,
            ..Limits::default()
        }),
    );
    let error = report.first_error().expect("fails");
    assert_eq!(error.code, "too_many_columns");
    assert_eq!(error.line, Some(10), "the line bringing key 11");
}

fn workbook(dir: &Path) -> std::path::PathBuf {
    let path = dir.join("book.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "time").expect("write");
    sheet.write_string(0, 1, "v").expect("write");
    for row in 1..200u32 {
        sheet.write_string(row, 0, "2024-01-01").expect("write");
        sheet.write_number(row, 1, f64::from(row)).expect("write");
    }
    book.save(&path).expect("save");
    path
}

#[test]
fn xlsx_archive_limits_each_have_a_code() {
    let dir = tempfile::tempdir().expect("dir");
    let path = workbook(dir.path());
    assert_eq!(first_code(&run(&path, None, &Control::default())), None);
    for (limits, code) in [
        (
            Limits {
                xlsx_max_entries: 3,
                ..Limits::default()
            },
            "xlsx_too_many_entries",
        ),
        (
            Limits {
                xlsx_max_entry_bytes: 1_000,
                ..Limits::default()
            },
            "xlsx_entry_too_large",
        ),
        (
            Limits {
                xlsx_max_total_bytes: 2_000,
                ..Limits::default()
            },
            "xlsx_too_large",
        ),
        (
            Limits {
                xlsx_max_shared_strings: 0,
                ..Limits::default()
            },
            "xlsx_too_many_shared_strings",
        ),
        (
            Limits {
                max_columns: 1,
                ..Limits::default()
            },
            "too_many_columns",
        ),
    ] {
        assert_eq!(first_code(&run(&path, None, &with(limits))), Some(code));
    }
}

fn parquet(dir: &Path) -> std::path::PathBuf {
    use polars::prelude::*;
    let path = dir.join("data.parquet");
    let mut frame = DataFrame::new(
        3,
        vec![
            Column::new("time".into(), ["2024-01-01", "2024-01-02", "2024-01-03"]),
            Column::new("v".into(), [1i64, 2, 3]),
        ],
    )
    .expect("frame");
    let file = std::fs::File::create(&path).expect("create");
    ParquetWriter::new(file).finish(&mut frame).expect("write");
    path
}

#[test]
fn parquet_footer_limits_each_have_a_code() {
    let dir = tempfile::tempdir().expect("dir");
    let path = parquet(dir.path());
    assert_eq!(first_code(&run(&path, None, &Control::default())), None);
    for (limits, code) in [
        (
            Limits {
                parquet_max_footer_bytes: 10,
                ..Limits::default()
            },
            "parquet_footer_too_large",
        ),
        (
            Limits {
                parquet_max_row_groups: 0,
                ..Limits::default()
            },
            "parquet_too_many_row_groups",
        ),
        (
            Limits {
                max_columns: 1,
                ..Limits::default()
            },
            "too_many_columns",
        ),
    ] {
        assert_eq!(first_code(&run(&path, None, &with(limits))), Some(code));
    }
}

#[test]
fn a_cancelled_validation_ends_with_cancelled_and_progress_is_readable() {
    let dir = tempfile::tempdir().expect("dir");
    let rows: String = (0..5_000).map(|i| format!("2024-01-01,{i}\n")).collect();
    let path = write(dir.path(), "rows.csv", &format!("time,v\n{rows}"));
    let control = Control::default();
    let report = run(&path, None, &control);
    assert_eq!(report.rows_accepted, 5_000);
    let progress = control.progress();
    assert_eq!((progress.pass, progress.rows), (Pass::Done, 5_000));
    assert_eq!(
        progress.bytes_total,
        std::fs::metadata(&path).expect("size").len()
    );

    let cancelled = Control::default();
    cancelled.cancel();
    let options = crate::Options::new(FileFormat::Csv, Utc::now(), OutputFormat::Parquet);
    assert!(matches!(
        validate(&path, &options, None, &cancelled),
        Err(ValidationError::Cancelled)
    ));
}

#[test]
fn times_beyond_year_9999_are_rejected_rows_with_a_reason() {
    let dir = tempfile::tempdir().expect("dir");
    let path = write(
        dir.path(),
        "t.csv",
        "time,v\n2024-01-01,1\n+262142-01-01,2\n",
    );
    let report = run(&path, Some("time"), &Control::default());
    assert_eq!((report.rows_accepted, report.rows_rejected), (1, 1));
    let reason = report
        .problems
        .iter()
        .find(|p| p.code == "time_out_of_range")
        .expect("a reason");
    assert_eq!(reason.line, Some(3));
    assert!(report
        .timestamp
        .max
        .is_some_and(|max| max.to_rfc3339().starts_with("2024")));
}

#[test]
fn a_time_column_named_time_is_still_the_time_column() {
    let dir = tempfile::tempdir().expect("dir");
    let path = write(
        dir.path(),
        "t.csv",
        "__time,v\n2024-01-01,1\n2024-01-02,2\n",
    );
    let report = run(&path, None, &Control::default());
    assert_eq!(first_code(&report), None, "{:?}", report.problems);
    assert_eq!(report.timestamp.column.as_deref(), Some("__time"));
}
