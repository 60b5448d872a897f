//! Validation without output reads the file once when the first pass proves
//! the second would accept every row it reads (see
//! `Profile::accepted_without_reading_again`): each file here is validated
//! with the second pass allowed to be skipped and forced, the reports must
//! be equal, and whether the file was read again is what the case expects.

use chrono::{TimeZone, Utc};
use ingest_domain::{ColumnType, FileFormat, RejectionBudget, ValidationReport};

use crate::{validate_with, Control, OutputFormat, Parallelism, RejectedRowsOptions, SecondPass};

struct Case {
    file: &'static str,
    text: String,
    column_types: Vec<(&'static str, ColumnType)>,
    timestamp_column: Option<&'static str>,
    max_rejected_rows: Option<u64>,
    quarantine: bool,
}

fn case(file: &'static str, text: impl Into<String>) -> Case {
    Case {
        file,
        text: text.into(),
        column_types: Vec::new(),
        timestamp_column: None,
        max_rejected_rows: None,
        quarantine: false,
    }
}

/// Validates `case` without output both ways; asserts the reports are the
/// same and returns it with whether the second pass ran when allowed to be
/// skipped.
fn both_ways(case: &Case) -> (ValidationReport, bool) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(case.file);
    std::fs::write(&path, &case.text).expect("write");
    let format = if case.file.ends_with(".ndjson") {
        FileFormat::Ndjson
    } else {
        FileFormat::Csv
    };
    let rejected = dir.path().join("rejected.csv");
    let options = crate::Options {
        format,
        delimiter: None,
        timestamp_column: case.timestamp_column.map(str::to_owned),
        encoding: None,
        sheet: None,
        fallback_time: Utc
            .with_ymd_and_hms(2024, 6, 1, 12, 0, 0)
            .single()
            .expect("time"),
        output_format: OutputFormat::Parquet,
        column_types: case
            .column_types
            .iter()
            .map(|(n, t)| ((*n).to_owned(), *t))
            .collect(),
        timestamp_format: None,
        rejected_rows: RejectedRowsOptions {
            budget: RejectionBudget {
                max_rows: case.max_rejected_rows,
                max_ratio: None,
            },
            quarantine: case.quarantine.then(|| rejected.clone()),
        },
    };
    // On one thread and on several, as `ingest validate` reads big files.
    let run = |second, threads| {
        let _ = std::fs::remove_file(&rejected);
        let control = Control::default().with_parallelism(Parallelism {
            threads,
            min_bytes: 0,
        });
        let result = validate_with(&path, &options, None, &control, second).expect("validates");
        (result, std::fs::read(&rejected).ok())
    };
    let ((forced, _), forced_rejected) = run(SecondPass::Always, 1);
    let mut read = Vec::new();
    for threads in [1, 3] {
        let ((report, read_again), rejected_rows) = run(SecondPass::WhenNeeded, threads);
        assert_eq!(report, forced, "{}: the same report either way", case.file);
        assert_eq!(
            rejected_rows, forced_rejected,
            "{}: the same rejected rows",
            case.file
        );
        read.push(read_again);
    }
    assert_eq!(
        read[0], read[1],
        "{}: the same on 1 and 3 threads",
        case.file
    );
    (forced, read[0])
}

fn codes(report: &ValidationReport) -> Vec<&str> {
    report.problems.iter().map(|p| p.code.as_str()).collect()
}

/// `rows` lines: a time, an amount, a count with an empty cell now and
/// then, a word; `odd` replaces line `odd_at`'s cell in column `odd_column`.
fn sales(rows: usize, odd: Option<(usize, usize, &str)>) -> String {
    let mut text = String::from("time,amount,count,word\n");
    for i in 0..rows {
        let mut cells = [
            format!("2024-03-{:02} {:02}:00:00", 1 + i % 28, i % 24),
            format!("{}.{:02}", i * 7 % 1000, i % 100),
            if i % 9 == 0 {
                String::new()
            } else {
                (i % 50).to_string()
            },
            ["north", "south", "NA"][i % 3].to_owned(),
        ];
        if let Some((at, column, value)) = odd {
            if at == i {
                cells[column] = value.to_owned();
            }
        }
        text.push_str(&cells.join(","));
        text.push('\n');
    }
    text
}

#[test]
fn a_clean_file_is_read_once() {
    let (report, read_again) = both_ways(&case("clean.csv", sales(300, None)));
    assert!(!read_again, "{:?}", codes(&report));
    assert_eq!((report.rows_accepted, report.rows_rejected), (300, 0));
}

#[test]
fn a_word_among_numbers_makes_text_and_is_read_once() {
    // Inferred as text (with the near-numeric warning): every value fits.
    let (report, read_again) = both_ways(&case("word.csv", sales(300, Some((40, 1, "lots")))));
    assert!(!read_again);
    assert!(
        codes(&report).contains(&"mostly_numeric"),
        "{:?}",
        codes(&report)
    );
    assert_eq!(report.columns[1].column_type, ColumnType::String);
}

#[test]
fn a_word_breaking_column_types_needs_the_second_pass() {
    let mut steered = case("word.csv", sales(300, Some((40, 1, "lots"))));
    steered.column_types = vec![("amount", ColumnType::Double)];
    steered.max_rejected_rows = Some(5);
    let (report, read_again) = both_ways(&steered);
    assert!(read_again);
    assert_eq!((report.rows_accepted, report.rows_rejected), (299, 1));
    assert!(codes(&report).contains(&"value_breaks_column_type"));
    // Without a budget the file fails: still the second pass's verdict.
    steered.max_rejected_rows = None;
    let (report, read_again) = both_ways(&steered);
    assert!(read_again);
    assert!(report.has_errors());
    // A type every value fits: once.
    steered.column_types = vec![("count", ColumnType::Double)];
    let (report, read_again) = both_ways(&steered);
    assert!(!read_again, "{:?}", codes(&report));
    assert_eq!(report.rows_accepted, 300);
}

#[test]
fn rows_without_a_readable_time_need_the_second_pass() {
    for (odd, why) in [
        ("soon", "rows_without_time"),
        ("", "rows_without_time"),
        ("NA", "rows_without_time"),
    ] {
        let (report, read_again) = both_ways(&case("times.csv", sales(300, Some((12, 0, odd)))));
        assert!(read_again, "{odd:?}");
        assert_eq!(report.timestamp.column.as_deref(), Some("time"));
        assert_eq!(
            (report.rows_accepted, report.rows_rejected),
            (299, 1),
            "{odd:?}: {:?} ({why})",
            codes(&report)
        );
    }
    // Named by the uploader, the column need not be mostly times.
    let mut named = case("times.csv", sales(300, Some((12, 0, "soon"))));
    named.timestamp_column = Some("time");
    assert!(both_ways(&named).1);
}

#[test]
fn epoch_times_and_upload_times_are_read_once() {
    let mut text = String::from("event_time,n\n");
    for i in 0..200 {
        text.push_str(&format!("{},{i}\n", 1_700_000_000 + i * 60));
    }
    let (report, read_again) = both_ways(&case("epoch.csv", text));
    assert_eq!(report.timestamp.format.as_deref(), Some("epoch_seconds"));
    assert!(!read_again);
    // No time column: every row gets the upload time.
    let (report, read_again) = both_ways(&case("plain.csv", "a,b\nx,1\ny,2\n"));
    assert!(report.timestamp.column.is_none());
    assert!(!read_again);
}

#[test]
fn ragged_rows_within_the_budget_are_counted_by_the_first_pass() {
    let mut text = sales(300, None);
    text.push_str("2024-03-01 00:00:00,1\n2024-03-01 00:00:00,1,2,3,4\n");
    let mut ragged = case("ragged.csv", text);
    ragged.max_rejected_rows = Some(5);
    let (report, read_again) = both_ways(&ragged);
    assert!(!read_again);
    assert_eq!((report.rows_accepted, report.rows_rejected), (300, 2));
    // Over the budget: an error, no second pass either way.
    ragged.max_rejected_rows = Some(1);
    let (report, read_again) = both_ways(&ragged);
    assert!(report.has_errors() && !read_again);
    // The rejected rows go to a quarantine file: only the second pass
    // writes it.
    ragged.max_rejected_rows = Some(5);
    ragged.quarantine = true;
    let (report, read_again) = both_ways(&ragged);
    assert!(read_again);
    assert_eq!(report.rows_rejected, 2);
    // A quarantine with nothing to write does not need it.
    let mut clean = case("clean.csv", sales(50, None));
    clean.quarantine = true;
    assert!(!both_ways(&clean).1);
}

#[test]
fn a_file_of_rejected_rows_only_needs_the_second_pass() {
    let mut text = String::from("time,a,b\n");
    for _ in 0..5 {
        text.push_str("2024-03-01,1\n");
    }
    let mut all_ragged = case("ragged.csv", text);
    all_ragged.max_rejected_rows = Some(10);
    let (report, read_again) = both_ways(&all_ragged);
    assert!(read_again);
    assert!(
        codes(&report).contains(&"no_valid_rows"),
        "{:?}",
        codes(&report)
    );
}

#[test]
fn ndjson_rows_missing_the_time_need_the_second_pass() {
    let mut text = String::new();
    for i in 0..100 {
        if i == 50 {
            text.push_str("{\"n\": 1}\n");
        } else {
            text.push_str(&format!(
                "{{\"ts\": \"2024-04-01T{:02}:00:00Z\", \"n\": {i}}}\n",
                i % 24
            ));
        }
    }
    let (report, read_again) = both_ways(&case("rows.ndjson", text.clone()));
    assert_eq!(report.timestamp.column.as_deref(), Some("ts"));
    assert!(read_again);
    assert_eq!(report.rows_rejected, 1);
    // Every row with its time, one without `n`: once.
    let text = text.replace("{\"n\": 1}", "{\"ts\": \"2024-04-02T00:00:00Z\"}");
    let (report, read_again) = both_ways(&case("rows.ndjson", text));
    assert!(!read_again);
    assert_eq!(report.rows_accepted, 100);
}
