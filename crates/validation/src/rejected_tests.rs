//! Rows rejected one by one within the upload's budget (issue 10 §6):
//! ragged and undecodable rows fail the file without a budget, are left out
//! within one, and every rejected row reaches the rejected-rows file.

use chrono::Utc;
use ingest_domain::{ColumnType, FileFormat, RejectionBudget, Severity, ValidationReport};

use crate::{validate, Control, OutputFormat, RejectedRowsOptions};

struct Outcome {
    report: ValidationReport,
    /// The rejected-rows file, parsed: one row of fields per rejected row.
    rejected: Option<Vec<Vec<String>>>,
}

fn run(
    name: &str,
    format: FileFormat,
    bytes: &[u8],
    budget: RejectionBudget,
    encoding: Option<&str>,
) -> Outcome {
    run_typed(name, format, bytes, budget, encoding, &[])
}

/// `run`, with `column_types`.
fn run_typed(
    name: &str,
    format: FileFormat,
    bytes: &[u8],
    budget: RejectionBudget,
    encoding: Option<&str>,
    column_types: &[(&str, ColumnType)],
) -> Outcome {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    let quarantine = dir.path().join("rejected.csv");
    let options = crate::Options {
        format,
        delimiter: None,
        timestamp_column: None,
        encoding: encoding.map(str::to_owned),
        sheet: None,
        fallback_time: Utc::now(),
        output_format: OutputFormat::Parquet,
        column_types: column_types
            .iter()
            .map(|(name, t)| ((*name).to_owned(), *t))
            .collect(),
        timestamp_format: None,
        rejected_rows: RejectedRowsOptions {
            budget,
            quarantine: Some(quarantine.clone()),
        },
    };
    let output = dir.path().join("out.parquet");
    let report =
        validate(&path, &options, Some(&output), &Control::default()).expect("validation runs");
    let rejected = quarantine.exists().then(|| {
        let mut reader = csv::Reader::from_path(&quarantine).expect("quarantine");
        assert_eq!(
            reader.headers().expect("header"),
            vec!["line", "column", "code", "reason", "record"]
        );
        reader
            .records()
            .map(|r| r.expect("a record").iter().map(str::to_owned).collect())
            .collect()
    });
    Outcome { report, rejected }
}

fn rows(max: u64) -> RejectionBudget {
    RejectionBudget {
        max_rows: Some(max),
        max_ratio: None,
    }
}

const RAGGED: &[u8] =
    b"time,v\n2024-01-01,1\n2024-01-02,2,extra\n2024-01-03,3\n2024-01-04\n2024-01-05,5\n";

fn first_error(report: &ValidationReport) -> Option<&str> {
    report.first_error().map(|p| p.code.as_str())
}

#[test]
fn ragged_rows_fail_the_file_without_a_budget_as_before() {
    let outcome = run(
        "r.csv",
        FileFormat::Csv,
        RAGGED,
        RejectionBudget::default(),
        None,
    );
    assert_eq!(first_error(&outcome.report), Some("ragged_row"));
    let lines: Vec<_> = outcome
        .report
        .problems
        .iter()
        .filter(|p| p.severity == Severity::Error)
        .filter_map(|p| p.line)
        .collect();
    assert_eq!(lines, [3, 5]);
    assert!(
        outcome.rejected.is_none(),
        "nothing is written for a failed file"
    );
}

#[test]
fn within_the_budget_ragged_rows_are_rejected_one_by_one() {
    let outcome = run("r.csv", FileFormat::Csv, RAGGED, rows(2), None);
    let report = &outcome.report;
    assert_eq!(first_error(report), None, "{:?}", report.problems);
    assert_eq!(
        (report.rows_in, report.rows_accepted, report.rows_rejected),
        (5, 3, 2)
    );
    assert_eq!(report.rows_in, report.rows_accepted + report.rows_rejected);
    let rejected = outcome.rejected.expect("rejected rows written");
    assert_eq!(
        rejected,
        [
            vec![
                "3",
                "",
                "ragged_row",
                "3 fields but the header has 2",
                "2024-01-02,2,extra"
            ],
            vec![
                "5",
                "",
                "ragged_row",
                "1 fields but the header has 2",
                "2024-01-04"
            ],
        ]
    );
    assert!(report
        .problems
        .iter()
        .any(|p| p.code == "rows_rejected_within_budget"));
}

#[test]
fn over_the_budget_the_file_fails_naming_it() {
    let outcome = run("r.csv", FileFormat::Csv, RAGGED, rows(1), None);
    let error = outcome.report.first_error().expect("fails");
    assert_eq!(error.code, "too_many_rejected_rows");
    assert!(
        error.message.contains("2 of 5 rows") && error.message.contains("max_rejected_rows=1"),
        "{}",
        error.message
    );
    assert!(crate::hint_for(&error.code).is_some());

    // A ratio: 2 of 5 rows is 40 %.
    let ratio = RejectionBudget {
        max_rows: None,
        max_ratio: Some(0.4),
    };
    let outcome = run("r.csv", FileFormat::Csv, RAGGED, ratio, None);
    assert_eq!(first_error(&outcome.report), None);
    assert_eq!(outcome.report.rows_rejected, 2);
}

#[test]
fn rows_that_are_not_utf8_are_rejected_alone_with_their_text() {
    let bytes = b"time,city\n2024-01-01,Paris\n2024-01-02,Gen\xe8ve\n2024-01-03,Lyon\n";
    let strict = run(
        "u.csv",
        FileFormat::Csv,
        bytes,
        RejectionBudget::default(),
        Some("utf-8"),
    );
    assert_eq!(first_error(&strict.report), Some("invalid_utf8"));
    assert_eq!(strict.report.first_error().and_then(|p| p.line), Some(3));

    let outcome = run("u.csv", FileFormat::Csv, bytes, rows(1), Some("utf-8"));
    assert_eq!(
        first_error(&outcome.report),
        None,
        "{:?}",
        outcome.report.problems
    );
    assert_eq!(
        (outcome.report.rows_accepted, outcome.report.rows_rejected),
        (2, 1)
    );
    let rejected = outcome.rejected.expect("rejected rows written");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0][..3], ["3", "", "undecodable_row"]);
    assert_eq!(rejected[0][4], "2024-01-02,Gen\u{fffd}ve");
}

#[test]
fn rows_the_named_encoding_cannot_decode_are_rejected_alone() {
    // 0xAA is unassigned in windows-1253 (Greek): line 3 cannot be decoded.
    let bytes = b"time,city\n2024-01-01,\xc1\xe8\xde\xed\xe1\n2024-01-02,x\xaay\n2024-01-03,Lyon\n";
    let strict = run(
        "g.csv",
        FileFormat::Csv,
        bytes,
        RejectionBudget::default(),
        Some("windows-1253"),
    );
    assert_eq!(first_error(&strict.report), Some("undecodable_text"));
    assert_eq!(strict.report.first_error().and_then(|p| p.line), Some(3));

    let outcome = run(
        "g.csv",
        FileFormat::Csv,
        bytes,
        rows(1),
        Some("windows-1253"),
    );
    assert_eq!(
        first_error(&outcome.report),
        None,
        "{:?}",
        outcome.report.problems
    );
    assert_eq!(
        (outcome.report.rows_accepted, outcome.report.rows_rejected),
        (2, 1)
    );
    let rejected = outcome.rejected.expect("rejected rows written");
    assert_eq!(rejected.len(), 1);
    assert_eq!(rejected[0][..3], ["3", "", "undecodable_row"]);
    assert_eq!(rejected[0][4], "2024-01-02,x\u{fffd}y");

    // A header the encoding cannot decode fails the file whatever the budget.
    let header = run(
        "h.csv",
        FileFormat::Csv,
        b"time,ci\xaaty\n2024-01-01,x\n",
        rows(10),
        Some("windows-1253"),
    );
    assert_eq!(first_error(&header.report), Some("undecodable_text"));
}

#[test]
fn rows_without_a_time_are_kept_too_outside_the_budget() {
    // Enough readable times for `time` to be the time column.
    let mut bytes = b"time,v\n".to_vec();
    for day in 1..=20 {
        bytes.extend_from_slice(format!("2024-01-{day:02},{day}\n").as_bytes());
    }
    bytes.extend_from_slice(b"not a time,21\n");
    let outcome = run(
        "t.csv",
        FileFormat::Csv,
        &bytes,
        RejectionBudget::default(),
        None,
    );
    assert_eq!(first_error(&outcome.report), None);
    assert_eq!(outcome.report.rows_rejected, 1);
    let rejected = outcome.rejected.expect("rejected rows written");
    assert_eq!(rejected[0][..3], ["22", "time", "row_without_time"]);
    assert_eq!(rejected[0][4], "not a time,21");
}

#[test]
fn ndjson_lines_that_are_not_objects_are_rejected_within_the_budget() {
    let bytes =
        b"{\"time\":\"2024-01-01\",\"v\":1}\n{\"time\":\"2024-01-02\",\"v\":\n[1,2]\n{\"time\":\"2024-01-04\",\"v\":4}\n";
    let strict = run(
        "n.json",
        FileFormat::Ndjson,
        bytes,
        RejectionBudget::default(),
        None,
    );
    assert_eq!(first_error(&strict.report), Some("invalid_json"));

    let outcome = run("n.json", FileFormat::Ndjson, bytes, rows(5), None);
    assert_eq!(
        first_error(&outcome.report),
        None,
        "{:?}",
        outcome.report.problems
    );
    assert_eq!(
        (outcome.report.rows_accepted, outcome.report.rows_rejected),
        (2, 2)
    );
    let rejected = outcome.rejected.expect("rejected rows written");
    let lines: Vec<_> = rejected.iter().map(|r| r[0].as_str()).collect();
    assert_eq!(lines, ["2", "3"]);
    assert_eq!(rejected[1][4], "[1,2]");
}

#[test]
fn values_breaking_column_types_share_the_budget_with_ragged_rows() {
    // Line 3 is ragged, line 4 holds a `v` that is not a long.
    let bytes = b"time,v\n2024-01-01,1\n2024-01-02,2,extra\n2024-01-03,x\n2024-01-04,4\n";
    let types = [("v", ColumnType::Long)];
    let none = RejectionBudget::default();
    let strict = run_typed("b.csv", FileFormat::Csv, bytes, none, None, &types);
    assert_eq!(first_error(&strict.report), Some("ragged_row"));

    // Two allowed: both rows are rejected one by one, and kept.
    let outcome = run_typed("b.csv", FileFormat::Csv, bytes, rows(2), None, &types);
    let report = &outcome.report;
    assert_eq!(first_error(report), None, "{:?}", report.problems);
    assert_eq!(
        (report.rows_in, report.rows_accepted, report.rows_rejected),
        (4, 2, 2)
    );
    let summaries: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.code == "rows_rejected_within_budget")
        .collect();
    assert_eq!(summaries.len(), 1, "one word on the one budget");
    assert!(
        summaries[0].message.starts_with("2 rows were rejected"),
        "{}",
        summaries[0].message
    );
    let rejected = outcome.rejected.expect("rejected rows written");
    let kept: Vec<_> = rejected.iter().map(|r| r[..3].to_vec()).collect();
    assert_eq!(
        kept,
        [
            ["3", "", "ragged_row"],
            ["4", "v", "value_breaks_column_type"]
        ]
    );
    assert_eq!(rejected[1][4], "2024-01-03,x");

    // One allowed: the two together are over it, and the file fails as a
    // whole (no rejected rows kept).
    let outcome = run_typed("b.csv", FileFormat::Csv, bytes, rows(1), None, &types);
    let error = outcome.report.first_error().expect("fails");
    assert_eq!(error.code, "too_many_rejected_rows");
    assert!(
        error.message.contains("2 of 4 rows")
            && error
                .message
                .contains("1 have a different number of fields")
            && error.message.contains("1 hold a value that does not fit"),
        "{}",
        error.message
    );
    assert_eq!(
        (outcome.report.rows_accepted, outcome.report.rows_rejected),
        (0, 4)
    );
    assert!(outcome.rejected.is_none(), "nothing kept for a failed file");
}
