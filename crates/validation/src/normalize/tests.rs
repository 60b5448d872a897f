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
use crate::source::{self, Cell, ReadFailure, RowMeta, RowSource, SourceSpec};
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
        column_types: [("amount".to_owned(), ColumnType::Long)].into(),
        rejected_rows: RejectedRowsOptions {
            budget,
            quarantine: None,
        },
        ..Options::new(
            FileFormat::Csv,
            Utc.with_ymd_and_hms(2024, 6, 1, 0, 0, 0)
                .single()
                .expect("time"),
            OutputFormat::Parquet,
        )
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
    second_pass_of(&csv(), dir, budget, format, threads, size, control, false)
}

/// `second_pass` of `text`; `copy_raw`: every row's text is copied while
/// reading (`CopiedRaw`) instead of made again from a rejected row's cells.
#[allow(clippy::too_many_arguments)]
fn second_pass_of(
    text: &str,
    dir: &Path,
    budget: RejectionBudget,
    format: OutputFormat,
    threads: usize,
    size: Size,
    control: &Control,
    copy_raw: bool,
) -> Result<Run, ValidationError> {
    let path = dir.join("in.csv");
    std::fs::write(&path, text).expect("write");
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
    if copy_raw {
        again = Box::new(CopiedRaw(again));
    }
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

/// A source whose rows' text is copied for every row, as before rejected
/// rows' text was made again from their cells.
struct CopiedRaw(Box<dyn RowSource>);

impl RowSource for CopiedRaw {
    fn columns(&self) -> &[String] {
        self.0.columns()
    }
    fn next_row(&mut self, row: &mut Vec<Cell>) -> Result<Option<RowMeta>, ReadFailure> {
        self.0.next_row(row)
    }
    fn header_line(&self) -> u64 {
        self.0.header_line()
    }
    fn checks_field_count(&self) -> bool {
        self.0.checks_field_count()
    }
    fn delimiter(&self) -> Option<u8> {
        self.0.delimiter()
    }
    fn row_defect(&self) -> Option<ReadFailure> {
        self.0.row_defect()
    }
    fn raw_row(&self) -> Option<String> {
        self.0.raw_row()
    }
}

#[test]
fn rejected_rows_made_again_from_their_cells_are_the_rows_as_read() {
    // Quoted delimiters, doubled quotes, a line break and a formula in the
    // rejected rows; `;` as the delimiter; an empty last field.
    let mut text = String::from("time;amount;city;score\n");
    let cities = [
        "Oslo",
        "\"Kyiv; UA\"",
        "\"say \"\"hi\"\"\"",
        "\"two\nlines\"",
        "=1+2",
        "caf\u{e9}",
        "",
    ];
    for i in 0..500u64 {
        let time = if i % 7 == 3 {
            String::new()
        } else {
            format!("2024-02-01T00:{:02}:{:02}Z", i / 60 % 60, i % 60)
        };
        let amount = if i % 11 == 4 {
            "x1".to_owned()
        } else {
            i.to_string()
        };
        let city = cities[(i % 7) as usize];
        text.push_str(&format!("{time};{amount};{city};{}\n", i % 5));
    }
    let dir = tempfile::tempdir().expect("dir");
    let budget = RejectionBudget {
        max_rows: Some(1_000),
        max_ratio: None,
    };
    let control = Control::default();
    for format in [OutputFormat::Ndjson, OutputFormat::Parquet] {
        for threads in [1, 2] {
            let run = |copy_raw| {
                second_pass_of(
                    &text,
                    dir.path(),
                    budget,
                    format,
                    threads,
                    SMALL,
                    &control,
                    copy_raw,
                )
                .expect("second pass")
            };
            let (made, copied) = (run(false), run(true));
            let rejected = String::from_utf8_lossy(&made.rejected_rows).into_owned();
            assert!(rejected.contains("Kyiv; UA") && rejected.contains("two\nlines"));
            assert!(made.rejected > 100, "{}", made.rejected);
            assert!(
                made == copied,
                "{format:?}, {threads} threads: {rejected}\n---\n{}",
                String::from_utf8_lossy(&copied.rejected_rows)
            );
        }
    }
}

#[test]
fn json_lines_are_what_a_serde_json_map_gives() {
    use super::{sink::Rows, Layout, Typed};
    use std::borrow::Cow;

    // Names out of order, escaped, repeated, and one that is `__time`.
    let names = [
        "b",
        "__time",
        "a",
        "\u{e9}t\u{e9}",
        "A\"q",
        "ctl\u{1}\t",
        "b",
        "Z",
        "~",
    ];
    let layout = Layout {
        names: names.to_vec(),
        types: vec![ColumnType::String; names.len()],
        decimal_commas: vec![false; names.len()],
        indices: (0..names.len()).collect(),
        json: super::sink::json_fields(&names),
        overridden: vec![false; names.len()],
    };
    let rows: Vec<(i64, Vec<Typed<'_>>)> = vec![
        (
            1_700_000_000_123,
            vec![
                Typed::Text(Cow::Borrowed("x\"\\\n\u{7f}\u{1f}\u{e9}\u{1F600}")),
                Typed::Long(-5),
                Typed::Double(1e300),
                Typed::Double(f64::NAN),
                Typed::Bool(true),
                Typed::Null,
                Typed::Long(0),
                Typed::Double(0.1),
                Typed::Double(-0.0),
            ],
        ),
        (
            -62_135_596_800_000,
            vec![
                Typed::Long(i64::MIN),
                Typed::Long(i64::MAX),
                Typed::Double(f64::INFINITY),
                Typed::Double(1.5e-7),
                Typed::Bool(false),
                Typed::Text(Cow::Owned(String::new())),
                Typed::Double(123_456_789.0),
                Typed::Null,
                Typed::Text(Cow::Borrowed("\u{2028}</script>")),
            ],
        ),
    ];
    let mut expected = Vec::new();
    for (time, values) in &rows {
        let mut object = serde_json::Map::new();
        object.insert(super::TIME_COLUMN.to_owned(), (*time).into());
        for (name, value) in names.iter().zip(values) {
            let value = match value {
                Typed::Null => Typed::Null,
                Typed::Long(x) => Typed::Long(*x),
                Typed::Double(x) => Typed::Double(*x),
                Typed::Bool(x) => Typed::Bool(*x),
                Typed::Text(x) => Typed::Text(x.clone()),
            };
            object.insert((*name).to_owned(), value.into_json());
        }
        serde_json::to_writer(&mut expected, &object).expect("json");
        expected.push(b'\n');
    }
    let mut written = Rows::new(Some(OutputFormat::Ndjson), &layout, rows.len());
    for (time, mut values) in rows {
        written.push(time, &mut values, &layout);
        assert!(values.is_empty());
    }
    let Rows::Ndjson(lines) = written else {
        panic!("NDJSON rows");
    };
    assert_eq!(
        String::from_utf8_lossy(&lines),
        String::from_utf8_lossy(&expected)
    );
}
