//! The second pass on several threads gives one thread's output and report,
//! byte for byte, also when a file spans many batches with rejected rows in
//! several of them and the budget is exceeded in a later one.

use std::path::Path;

use chrono::{TimeZone, Utc};
use ingest_domain::{ColumnType, FileFormat, Problem, RejectionBudget};

use super::batch::Size;
use super::{write_batched, OutputFormat};
use crate::first_pass::{first_pass, FirstPass};
use crate::quarantine::Quarantine;
use crate::source::{self, SourceSpec};
use crate::{Control, Options, RejectedRowsOptions, ValidationError};

const ROWS: u64 = 3_000;

/// Rows with an empty time every 97th, an `amount` breaking `column_types`
/// every 131st and an extra field every 1,000th.
fn csv() -> String {
    let cities = ["Oslo", "Lima", "Pune", "Kyiv, UA", "Quito"];
    let mut text = String::from("time,amount,city,score\n");
    for i in 0..ROWS {
        let time = if i % 97 == 5 {
            String::new()
        } else {
            format!(
                "2024-01-01T{:02}:{:02}:{:02}Z",
                i / 3600,
                i / 60 % 60,
                i % 60
            )
        };
        let amount = if i % 131 == 7 {
            "abc".to_owned()
        } else {
            i.to_string()
        };
        let city = cities[(i % 5) as usize];
        let extra = if i % 1_000 == 500 { ",extra" } else { "" };
        text.push_str(&format!("{time},{amount},\"{city}\",{}.5{extra}\n", i % 17));
    }
    text
}

#[derive(Debug, PartialEq)]
struct Run {
    accepted: u64,
    rejected: u64,
    breaking: u64,
    budgeted: u64,
    within_budget: bool,
    problems: Vec<Problem>,
    not_listed: u64,
    output: Vec<u8>,
    rejected_rows: Vec<u8>,
}

fn options(budget: RejectionBudget) -> Options {
    Options {
        format: FileFormat::Csv,
        delimiter: None,
        timestamp_column: None,
        encoding: None,
        sheet: None,
        fallback_time: Utc
            .with_ymd_and_hms(2024, 6, 1, 0, 0, 0)
            .single()
            .expect("time"),
        output_format: OutputFormat::Parquet,
        column_types: [("amount".to_owned(), ColumnType::Long)].into(),
        timestamp_format: None,
        rejected_rows: RejectedRowsOptions {
            budget,
            quarantine: None,
        },
    }
}

/// The first pass, then the second on `threads` threads in batches of `size`.
fn second_pass(
    dir: &Path,
    budget: RejectionBudget,
    format: OutputFormat,
    threads: usize,
    size: Size,
    control: &Control,
) -> Result<Run, ValidationError> {
    let path = dir.join("in.csv");
    std::fs::write(&path, csv()).expect("write");
    let options = options(budget);
    let FirstPass {
        mut profiled,
        delimiter,
        ..
    } = first_pass(&path, &options, &Control::default())?.expect("readable");
    assert!(!profiled.problems.has_errors(), "{:?}", profiled.problems);
    let spec = SourceSpec {
        format: FileFormat::Csv,
        delimiter,
        encoding: None,
        sheet: None,
        checked: true,
    };
    let Ok(mut again) = source::open(&path, spec, control) else {
        panic!("the file opens again");
    };
    let rejected_path = dir.join("rejected.csv");
    let output = dir.join(format!("out.{}", format.extension()));
    let _ = std::fs::remove_file(&rejected_path);
    let mut problems = std::mem::take(&mut profiled.problems);
    let mut quarantine = Quarantine::new(Some(&rejected_path));
    let written = write_batched(
        again.as_mut(),
        &profiled,
        Some((&output, format)),
        &mut problems,
        &mut quarantine,
        control,
        threads,
        size,
    )?;
    let within_budget =
        written
            .budgeted
            .settle_type_breaks(&budget, profiled.rows_in, &mut problems);
    quarantine.finish()?;
    Ok(Run {
        accepted: written.rows_accepted,
        rejected: written.rows_rejected,
        breaking: written.rows_breaking_types,
        budgeted: written.rows_rejected_budgeted,
        within_budget,
        problems: problems.listed,
        not_listed: problems.not_listed,
        output: std::fs::read(&output).expect("output"),
        rejected_rows: std::fs::read(&rejected_path).expect("rejected rows"),
    })
}

/// Batches of 7 rows (or 256 bytes): the file spans hundreds of them.
const SMALL: Size = Size {
    rows: 7,
    bytes: 256,
};

fn same_on_every_thread_count(budget: RejectionBudget) -> Run {
    let dir = tempfile::tempdir().expect("dir");
    let control = Control::default;
    let mut reference = None;
    for format in [OutputFormat::Parquet, OutputFormat::Ndjson] {
        let one = second_pass(dir.path(), budget, format, 1, Size::default(), &control())
            .expect("one thread");
        for threads in [1, 2, 3, 8] {
            let before = super::workers::STARTED.load(std::sync::atomic::Ordering::Relaxed);
            let many = second_pass(dir.path(), budget, format, threads, SMALL, &control())
                .expect("several threads");
            assert!(
                many == one,
                "{format:?} on {threads} threads in small batches differs from one thread"
            );
            let started =
                super::workers::STARTED.load(std::sync::atomic::Ordering::Relaxed) - before;
            // (Shared with tests running alongside: only "used" is certain.)
            assert!(
                threads == 1 || started > 0,
                "{threads} threads: workers used"
            );
        }
        reference = Some(one);
    }
    reference.expect("ran")
}

#[test]
fn many_small_batches_on_any_number_of_threads_give_one_threads_output() {
    let run = same_on_every_thread_count(RejectionBudget {
        max_rows: Some(1_000),
        max_ratio: None,
    });
    // What the comparison covered: rejected rows of every kind, all over
    // the file (many batches), every one within the budget.
    let lines = String::from_utf8_lossy(&run.rejected_rows).into_owned();
    for code in ["row_without_time", "value_breaks_column_type", "ragged_row"] {
        assert!(lines.contains(code), "{code} rows in {lines}");
    }
    // The last of each kind, hundreds of batches in.
    assert!(
        lines.contains("\n2891,") && lines.contains("\n2917,"),
        "{lines}"
    );
    assert_eq!(run.budgeted, 3);
    assert_eq!(run.breaking, 23);
    assert_eq!(run.rejected, 3 + 23 + 31);
    assert!(run.within_budget);
    assert_eq!(run.accepted + run.rejected, ROWS);
}

#[test]
fn a_budget_exceeded_in_a_later_batch_is_the_same_on_any_number_of_threads() {
    // 3 ragged rows pass the first pass; the 8th type break, far past the
    // first batches, exceeds the budget.
    let run = same_on_every_thread_count(RejectionBudget {
        max_rows: Some(10),
        max_ratio: None,
    });
    assert!(!run.within_budget);
    assert!(
        run.problems
            .iter()
            .any(|p| p.severity == ingest_domain::Severity::Error),
        "{:?}",
        run.problems
    );
}

#[test]
fn cancelling_stops_the_pass_on_any_number_of_threads() {
    let dir = tempfile::tempdir().expect("dir");
    for threads in [1, 2, 8] {
        let control = Control::default();
        control.cancel();
        let outcome = second_pass(
            dir.path(),
            RejectionBudget {
                max_rows: Some(1_000),
                max_ratio: None,
            },
            OutputFormat::Parquet,
            threads,
            SMALL,
            &control,
        );
        assert!(
            matches!(outcome, Err(ValidationError::Cancelled)),
            "{threads} threads"
        );
    }
}
