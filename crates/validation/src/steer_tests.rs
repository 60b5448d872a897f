//! Types users can steer, through `validate` itself: `column_types`,
//! `timestamp_column` and `timestamp_format` on files written here.

use std::collections::BTreeMap;

use chrono::Utc;
use ingest_domain::{
    ColumnType, FileFormat, RejectionBudget, Severity, TimestampSource, ValidationReport,
};
use polars::prelude::*;

use crate::{validate, Control, OutputFormat};

struct Steer<'a> {
    types: &'a [(&'a str, ColumnType)],
    column: Option<&'a str>,
    format: Option<&'a str>,
    /// `max_rejected_rows`.
    budget: Option<u64>,
}

const NONE: Steer<'static> = Steer {
    types: &[],
    column: None,
    format: None,
    budget: None,
};

fn run(
    name: &str,
    text: &str,
    format: FileFormat,
    steer: Steer<'_>,
) -> (ValidationReport, Option<DataFrame>) {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(name);
    std::fs::write(&path, text).expect("write");
    let options = crate::Options {
        format,
        delimiter: None,
        timestamp_column: steer.column.map(str::to_owned),
        encoding: None,
        sheet: None,
        fallback_time: Utc::now(),
        output_format: OutputFormat::Parquet,
        column_types: steer
            .types
            .iter()
            .map(|(n, t)| ((*n).to_owned(), *t))
            .collect::<BTreeMap<_, _>>(),
        timestamp_format: steer.format.map(str::to_owned),
        rejected_rows: crate::RejectedRowsOptions {
            budget: RejectionBudget {
                max_rows: steer.budget,
                max_ratio: None,
            },
            quarantine: None,
        },
    };
    let output = dir.path().join("out.parquet");
    let report = validate(&path, &options, Some(&output), &Control::default()).expect("runs");
    let frame = output.exists().then(|| {
        ParquetReader::new(std::fs::File::open(&output).expect("output"))
            .finish()
            .expect("Parquet")
    });
    (report, frame)
}

fn codes(report: &ValidationReport, severity: Severity) -> Vec<&str> {
    report
        .problems
        .iter()
        .filter(|p| p.severity == severity)
        .map(|p| p.code.as_str())
        .collect()
}

/// A CSV of `rows` lines: time, a counter, and `odd` on line `odd_line`.
fn counter_csv(rows: u64, odd_line: u64, odd: &str) -> String {
    let mut text = "time,n\n".to_owned();
    for line in 2..rows + 2 {
        let n = if line == odd_line {
            odd.to_owned()
        } else {
            line.to_string()
        };
        text.push_str(&format!("2024-01-01T00:00:{:02}Z,{n}\n", line % 60));
    }
    text
}

#[test]
fn a_value_that_breaks_an_override_fails_the_file_without_a_budget() {
    let text = counter_csv(300, 77, "2.5");
    let steer = Steer {
        types: &[("n", ColumnType::Long)],
        ..NONE
    };
    let (report, _) = run("n.csv", &text, FileFormat::Csv, steer);
    let error = report.first_error().expect("the file fails");
    assert_eq!(error.code, "value_breaks_column_type");
    assert_eq!((error.line, error.column.as_deref()), (Some(77), Some("n")));
    assert!(
        error.message.contains("\"2.5\" is not a long"),
        "{}",
        error.message
    );
    assert!(crate::hint_for(&error.code).is_some());
    // As a file failed by ragged rows: nothing ingested, nothing rejected
    // one by one.
    assert_eq!(
        (report.rows_in, report.rows_accepted, report.rows_rejected),
        (300, 0, 300)
    );
    assert!(!codes(&report, Severity::Warning).contains(&"rows_rejected_within_budget"));
}

#[test]
fn within_a_budget_a_value_that_breaks_an_override_rejects_its_row_alone() {
    let text = counter_csv(300, 77, "2.5");
    let steer = Steer {
        types: &[("n", ColumnType::Long)],
        budget: Some(1),
        ..NONE
    };
    let (report, frame) = run("n.csv", &text, FileFormat::Csv, steer);
    assert_eq!(report.first_error(), None, "{:?}", report.problems);
    assert_eq!(
        (report.rows_in, report.rows_accepted, report.rows_rejected),
        (300, 299, 1)
    );
    let broken: Vec<_> = report
        .problems
        .iter()
        .filter(|p| p.code == "value_breaks_column_type")
        .collect();
    assert_eq!(broken.len(), 1);
    assert_eq!(
        (
            broken[0].severity,
            broken[0].line,
            broken[0].column.as_deref()
        ),
        (Severity::Warning, Some(77), Some("n"))
    );
    assert!(
        broken[0].message.contains("\"2.5\" is not a long"),
        "{}",
        broken[0].message
    );
    let n = &report.columns[1];
    assert_eq!(n.column_type, ColumnType::Long);
    assert_eq!(
        n.max.as_deref(),
        Some("301"),
        "the range covers every integer"
    );
    let frame = frame.expect("output");
    assert_eq!(frame.column("n").expect("n").dtype(), &DataType::Int64);
    assert_eq!(frame.height(), 299);

    // Without the override the column is a double, and nothing is rejected.
    let (report, _) = run("n.csv", &text, FileFormat::Csv, NONE);
    assert_eq!(report.columns[1].column_type, ColumnType::Double);
    assert_eq!(report.rows_rejected, 0);
}

#[test]
fn many_broken_rows_are_listed_up_to_a_bound_then_counted() {
    let mut text = "time,flag\n".to_owned();
    for i in 0..100 {
        let flag = if i % 2 == 0 { "true" } else { "maybe" };
        text.push_str(&format!("2024-01-01,{flag}\n"));
    }
    let steer = Steer {
        types: &[("flag", ColumnType::Boolean)],
        budget: Some(50),
        ..NONE
    };
    let (report, _) = run("f.csv", &text, FileFormat::Csv, steer);
    assert_eq!((report.rows_accepted, report.rows_rejected), (50, 50));
    let listed = codes(&report, Severity::Warning)
        .iter()
        .filter(|c| **c == "value_breaks_column_type")
        .count();
    assert_eq!(listed, crate::profile::MAX_LINES_PER_KIND);
    assert!(codes(&report, Severity::Warning).contains(&"values_breaking_column_types"));

    // One row fewer allowed: the file fails, its first error the budget.
    let steer = Steer {
        types: &[("flag", ColumnType::Boolean)],
        budget: Some(49),
        ..NONE
    };
    let (report, _) = run("f.csv", &text, FileFormat::Csv, steer);
    let error = report.first_error().expect("the file fails");
    assert_eq!(error.code, "too_many_rejected_rows");
    assert!(
        error.message.contains("50 of 100 rows") && error.message.contains("max_rejected_rows=49"),
        "{}",
        error.message
    );
    assert_eq!(report.rows_accepted, 0);
}

#[test]
fn an_epoch_format_makes_a_plainly_named_number_column_the_time() {
    let text = "{\"moment\":1700000000,\"v\":1}\n{\"moment\":1700000060,\"v\":2}\n";
    let (report, _) = run("e.ndjson", text, FileFormat::Ndjson, NONE);
    assert_eq!(
        report.timestamp.source,
        TimestampSource::UploadTime,
        "not by itself"
    );
    assert!(codes(&report, Severity::Warning).contains(&"no_time_column"));

    let steer = Steer {
        format: Some("epoch_seconds"),
        ..NONE
    };
    let (report, _) = run("e.ndjson", text, FileFormat::Ndjson, steer);
    assert_eq!(report.first_error(), None, "{:?}", report.problems);
    assert_eq!(report.timestamp.column.as_deref(), Some("moment"));
    assert_eq!(
        report.timestamp.min.map(|t| t.to_rfc3339()),
        Some("2023-11-14T22:13:20+00:00".to_owned())
    );
    assert!(!codes(&report, Severity::Warning).contains(&"no_time_column"));
}

#[test]
fn an_overridden_date_column_is_not_the_time_and_the_upload_time_is_said() {
    let text = "date,v\n2024-01-01,1\n2024-01-02,2\n";
    let steer = Steer {
        types: &[("date", ColumnType::String)],
        ..NONE
    };
    let (report, _) = run("d.csv", text, FileFormat::Csv, steer);
    assert_eq!(report.timestamp.source, TimestampSource::UploadTime);
    assert_eq!(report.columns[0].column_type, ColumnType::String);
    assert_eq!(codes(&report, Severity::Warning), ["no_time_column"]);
}

#[test]
fn steering_that_cannot_apply_fails_the_file_with_a_code() {
    let text = "time,v\n2024-01-01,1\n";
    for (steer, code) in [
        (
            Steer {
                types: &[("time", ColumnType::Long)],
                column: Some("time"),
                ..NONE
            },
            "column_types_time_column",
        ),
        (
            Steer {
                types: &[("value", ColumnType::Long)],
                ..NONE
            },
            "column_types_unknown_column",
        ),
        (
            Steer {
                format: Some("%H:%M"),
                ..NONE
            },
            "invalid_timestamp_format",
        ),
        (
            Steer {
                format: Some("%d.%m.%Y"),
                ..NONE
            },
            "timestamp_format_unmatched",
        ),
        (
            Steer {
                column: Some("time"),
                format: Some("%d.%m.%Y"),
                ..NONE
            },
            "timestamp_column_unparseable",
        ),
    ] {
        let (report, frame) = run("s.csv", text, FileFormat::Csv, steer);
        assert_eq!(report.first_error().map(|p| p.code.as_str()), Some(code));
        assert!(crate::hint_for(code).is_some(), "{code} has a hint");
        assert!(frame.is_none(), "{code}: nothing written");
    }
}
