//! The frozen regression corpus of issue 12: files generated here, in code,
//! each validated with its options, and the whole report plus the typed
//! output compared with the expected files in `tests/corpus/`. Whatever
//! changes how validation reads files (a parallel first pass, one parse per
//! cell) must leave these unchanged; a change on purpose regenerates them:
//!
//! ```text
//! UPDATE_CORPUS=1 cargo test --release --workspace --lib -- corpus
//! ```
//!
//! and the diff of `tests/corpus/` is reviewed like code.

use std::{collections::BTreeMap, io::Write, path::Path};

use chrono::{TimeZone, Utc};
use ingest_domain::{ColumnType, FileFormat, RejectionBudget};
use polars::prelude::*;
use serde_json::{json, Value};

use crate::{
    detect_format, validate, validate_with, Control, OutputFormat, RejectedRowsOptions, SecondPass,
};

/// A deterministic generator (xorshift64*): the corpus must not change
/// between runs or machines.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        crate::test_rng::next(&mut self.0)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

/// FNV-1a: a digest of the output that stays the same on every toolchain.
fn fnv(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// One file of the corpus and how it is validated.
pub(crate) struct Case {
    pub name: &'static str,
    pub file: &'static str,
    pub bytes: Vec<u8>,
    pub timestamp_column: Option<&'static str>,
    pub timestamp_format: Option<&'static str>,
    pub column_types: Vec<(&'static str, ColumnType)>,
    pub budget: RejectionBudget,
    pub encoding: Option<&'static str>,
}

impl Case {
    fn new(name: &'static str, file: &'static str, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            name,
            file,
            bytes: bytes.into(),
            timestamp_column: None,
            timestamp_format: None,
            column_types: Vec::new(),
            budget: RejectionBudget::default(),
            encoding: None,
        }
    }

    fn budget(mut self, max_rows: u64) -> Self {
        self.budget = RejectionBudget {
            max_rows: Some(max_rows),
            max_ratio: None,
        };
        self
    }

    /// Whether its output is small enough to keep whole in the expected file.
    fn large(&self) -> bool {
        self.bytes.len() > 256 * 1024
    }
}

const REGIONS: [&str; 5] = ["North", "Europe", "Asia Pacific", "Latin America", "Zürich"];
const NULLS: [&str; 6] = ["", "NA", "null", "N/A", "none", "  "];

/// Quoting: embedded delimiters, line breaks and doubled quotes; empty
/// cells and null tokens; CRLF line ends.
fn quoted(rows: usize) -> String {
    let mut rng = Rng(11);
    let mut text = String::from("time,comment,region,amount,flag\r\n");
    for i in 0..rows {
        let comment = match rng.below(6) {
            0 => format!("\"line one\nline two {i}\""),
            1 => format!("\"a, b and c {i}\""),
            2 => format!("\"she said \"\"hi\"\" {i}\""),
            3 => rng.pick(&NULLS).to_owned(),
            _ => format!("plain {i}"),
        };
        let amount = if i % 13 == 0 {
            rng.pick(&NULLS).to_owned()
        } else {
            format!("{}.{:02}", rng.below(5000), rng.below(100))
        };
        text.push_str(&format!(
            "2024-03-{:02}T{:02}:{:02}:00Z,{comment},{},{amount},{}\r\n",
            1 + i % 28,
            i % 24,
            i % 60,
            rng.pick(&REGIONS),
            if rng.below(2) == 0 { "true" } else { "FALSE" },
        ));
    }
    text
}

/// One time column written `format`, with an id and a count.
fn times(format: &str, rows: usize) -> String {
    // Epoch numbers are times only in a column named like one.
    let name = if format.starts_with("epoch") {
        "event_time"
    } else {
        "when"
    };
    let mut text = format!("id,{name},count\n");
    let start = Utc
        .with_ymd_and_hms(2023, 11, 5, 7, 30, 0)
        .single()
        .expect("time");
    for i in 0..rows {
        let t = start + chrono::Duration::minutes(97 * i as i64);
        let when = match format {
            "epoch_millis" => t.timestamp_millis().to_string(),
            "epoch_seconds" => t.timestamp().to_string(),
            "rfc3339" => t.to_rfc3339(),
            pattern => t.format(pattern).to_string(),
        };
        text.push_str(&format!("{i},{when},{}\n", (i * 7) % 50));
    }
    text
}

/// Identifiers with leading zeros, fixed-width codes and a mostly numeric
/// column with a few words.
fn leading_zeros(rows: usize) -> String {
    let mut rng = Rng(5);
    let mut text = String::from("date,zip,code,reading\n");
    for i in 0..rows {
        let reading = if i % 40 == 7 {
            "broken".to_owned()
        } else {
            rng.below(900).to_string()
        };
        text.push_str(&format!(
            "2024-02-{:02},{:05},{:03},{reading}\n",
            1 + i % 28,
            rng.below(99_999),
            rng.below(1000),
        ));
    }
    text
}

/// `;` file with decimal commas and a `.` thousands separator.
fn european(rows: usize) -> String {
    let mut rng = Rng(23);
    let mut text = String::from("Datum;Stadt;Betrag;Menge\n");
    for i in 0..rows {
        let whole = rng.below(900_000);
        let amount = if whole >= 1000 {
            format!("{}.{:03},{:02}", whole / 1000, whole % 1000, rng.below(100))
        } else {
            format!("{whole},{:02}", rng.below(100))
        };
        text.push_str(&format!(
            "{:02}.{:02}.2024 {:02}:{:02};{};{amount};{}\n",
            1 + i % 28,
            1 + i % 12,
            i % 24,
            (i * 7) % 60,
            rng.pick(&["Köln", "München", "Genève", "Zürich"]),
            rng.below(40),
        ));
    }
    text
}

/// Rows with too few or too many fields among good ones.
fn ragged(rows: usize) -> String {
    let mut text = String::from("time,a,b\n");
    for i in 0..rows {
        match i % 50 {
            10 => text.push_str(&format!("2024-01-01,{i}\n")),
            30 => text.push_str(&format!("2024-01-01,{i},x,extra\n")),
            _ => text.push_str(&format!("2024-01-{:02},{i},v{}\n", 1 + i % 28, i % 9)),
        }
    }
    text
}

/// A time column some of whose values cannot be read.
fn unreadable_times(rows: usize) -> String {
    let mut text = String::from("timestamp,value\n");
    for i in 0..rows {
        let time = match i % 50 {
            3 => "soon".to_owned(),
            9 | 34 => String::new(),
            17 => "2024-13-45 99:00:00".to_owned(),
            _ => format!("2024-05-{:02} {:02}:00:00", 1 + i % 28, i % 24),
        };
        text.push_str(&format!("{time},{}\n", i * 3));
    }
    text
}

fn utf16le(text: &str) -> Vec<u8> {
    std::iter::once(0xfeff_u16)
        .chain(text.encode_utf16())
        .flat_map(u16::to_le_bytes)
        .collect()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("compress");
    gz.finish().expect("compress")
}

fn ndjson(rows: usize) -> String {
    let mut rng = Rng(31);
    let mut text = String::new();
    for i in 0..rows {
        let mut object = json!({
            "ts": format!("2024-04-{:02}T{:02}:00:00Z", 1 + i % 28, i % 24),
            "user": format!("u{}", rng.below(40)),
            "score": rng.below(1000) as f64 / 8.0,
        });
        if i % 7 == 0 {
            object["late"] = json!(i % 2 == 0);
        }
        if i % 11 == 0 {
            object["score"] = Value::Null;
        }
        text.push_str(&object.to_string());
        text.push('\n');
    }
    text
}

fn xlsx(dir: &Path) -> Vec<u8> {
    use rust_xlsxwriter::{Format, Workbook};
    let path = dir.join("book.xlsx");
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    let sheet = book.add_worksheet().set_name("Sales").expect("name");
    for (col, name) in ["time", "city", "amount", "note"].iter().enumerate() {
        sheet.write_string(0, col as u16, *name).expect("write");
    }
    for row in 1..=120u32 {
        let serial = 45_000.0 + f64::from(row) / 3.0;
        sheet
            .write_number_with_format(row, 0, serial, &date)
            .expect("write");
        sheet
            .write_string(row, 1, REGIONS[row as usize % REGIONS.len()])
            .expect("write");
        sheet
            .write_number(row, 2, f64::from(row) * 1.25)
            .expect("write");
        if row % 5 != 0 {
            sheet
                .write_string(row, 3, format!("n{}", row % 7))
                .expect("write");
        }
    }
    book.save(&path).expect("save");
    std::fs::read(&path).expect("read")
}

fn parquet(dir: &Path) -> Vec<u8> {
    let path = dir.join("data.parquet");
    let rows = 200;
    let times: Vec<String> = (0..rows)
        .map(|i| format!("2024-07-{:02} {:02}:15:00", 1 + i % 28, i % 24))
        .collect();
    let values: Vec<Option<i64>> = (0..rows)
        .map(|i| (i % 9 != 0).then_some(i as i64 * 11))
        .collect();
    let ratios: Vec<f64> = (0..rows).map(|i| i as f64 / 7.0).collect();
    let mut frame = DataFrame::new(
        rows,
        vec![
            Column::new("time".into(), times),
            Column::new("v".into(), values),
            Column::new("ratio".into(), ratios),
        ],
    )
    .expect("frame");
    let file = std::fs::File::create(&path).expect("create");
    ParquetWriter::new(file).finish(&mut frame).expect("write");
    std::fs::read(&path).expect("read")
}

/// Several MiB of sales-like rows with every quirk above mixed in, so a
/// reader that splits the file has many records (quoted line breaks
/// included) to cut between, and the statistics (distinct estimate past
/// its exact range, top values past their counters, histograms that widen)
/// see enough values to be order-sensitive.
fn large(rows: usize) -> String {
    let mut rng = Rng(97);
    let mut text =
        String::from("timestamp,order_id,region,channel,quantity,unit_price,discount,note,zip\n");
    let channels = ["online", "retail", "partner"];
    for i in 0..rows {
        let price = if i == rows / 2 {
            "1e9".to_owned()
        } else {
            format!("{}.{:02}", 5 + rng.below(1500), rng.below(100))
        };
        let discount = if i % 37 == 0 {
            String::new()
        } else {
            rng.pick(&["0.00", "0.05", "0.10"]).to_owned()
        };
        let note = match rng.below(40) {
            0 => format!("\"multi\nline, {i}\""),
            1 => format!("\"quote \"\"{}\"\"\"", rng.below(100)),
            2..=20 => String::new(),
            _ => format!("n{}", rng.below(5000)),
        };
        let quantity = if i % 10_007 == 5 {
            "many".to_owned()
        } else {
            (1 + rng.below(10)).to_string()
        };
        text.push_str(&format!(
            "2024-{:02}-{:02} {:02}:{:02}:00,ORD-{i},{},{},{quantity},{price},{discount},{note},{:05}\n",
            1 + i % 12,
            1 + i % 28,
            i % 24,
            i % 60,
            rng.pick(&REGIONS),
            rng.pick(&channels),
            rng.below(3000),
        ));
    }
    text
}

pub(crate) fn cases(dir: &Path) -> Vec<Case> {
    let quoted_text = quoted(300);
    let latin = encoding_rs::WINDOWS_1252
        .encode(&quoted(200).replace("Zürich", "Zürich Straße"))
        .0
        .into_owned();
    let mut budgeted = Case::new("ragged_within_budget", "ragged.csv", ragged(400)).budget(20);
    budgeted.timestamp_column = Some("time");
    let mut typed = Case::new("column_types", "typed.csv", leading_zeros(300));
    typed.column_types = vec![("zip", ColumnType::Long), ("reading", ColumnType::Long)];
    let mut named = Case::new(
        "timestamp_format",
        "named.csv",
        times("%d-%m-%Y %H.%M", 250),
    );
    named.timestamp_column = Some("when");
    named.timestamp_format = Some("%d-%m-%Y %H.%M");
    let mut forced = Case::new("latin1_named", "latin1.csv", latin.clone());
    forced.encoding = Some("iso-8859-15");
    vec![
        Case::new("quoted", "quoted.csv", quoted_text.clone()),
        Case::new("times_rfc3339", "rfc.csv", times("rfc3339", 300)),
        Case::new("times_day_first", "dmy.csv", times("%d/%m/%Y %H:%M", 300)),
        Case::new("times_month_names", "mon.csv", times("%b %d %Y", 300)),
        Case::new("times_epoch_millis", "ms.csv", times("epoch_millis", 300)),
        named,
        Case::new("leading_zeros", "zeros.csv", leading_zeros(300)),
        typed,
        Case::new("european", "euro.csv", european(300)),
        Case::new("ragged_no_budget", "ragged.csv", ragged(400)),
        budgeted,
        Case::new("ragged_over_budget", "ragged.csv", ragged(400)).budget(3),
        Case::new("unreadable_times", "times.csv", unreadable_times(300)).budget(100),
        Case::new(
            "unreadable_times_no_budget",
            "times.csv",
            unreadable_times(300),
        ),
        Case::new(
            "utf16",
            "utf16.tsv",
            utf16le(&quoted(200).replace(',', "\t")),
        ),
        Case::new("latin1", "latin1.csv", latin),
        forced,
        Case::new("gzip", "quoted.csv.gz", gzip(quoted_text.as_bytes())),
        Case::new("ndjson", "rows.ndjson", ndjson(300)),
        Case::new("xlsx", "book.xlsx", xlsx(dir)),
        Case::new("parquet", "data.parquet", parquet(dir)),
        Case::new("large", "large.csv", large(60_000)),
        Case::new(
            "large_semicolon",
            "large_euro.csv",
            european(40_000) + &european(30_000).replace("Datum;Stadt;Betrag;Menge\n", ""),
        ),
    ]
}

/// The report and output of one case, as the expected file has them, and
/// whether its report without output was known without a second pass.
pub(crate) fn outcome(case: &Case, dir: &Path, control: &Control) -> (Value, bool) {
    let path = dir.join(case.file);
    std::fs::write(&path, &case.bytes).expect("write");
    let sniff = &case.bytes[..case.bytes.len().min(crate::SNIFF_LEN)];
    let format = detect_format(sniff, case.file, None).expect("a format");
    let mut options = crate::Options {
        format,
        delimiter: None,
        timestamp_column: case.timestamp_column.map(str::to_owned),
        encoding: case.encoding.map(str::to_owned),
        sheet: None,
        fallback_time: Utc
            .with_ymd_and_hms(2024, 6, 1, 12, 0, 0)
            .single()
            .expect("time"),
        output_format: OutputFormat::Ndjson,
        column_types: case
            .column_types
            .iter()
            .map(|(n, t)| ((*n).to_owned(), *t))
            .collect::<BTreeMap<_, _>>(),
        timestamp_format: case.timestamp_format.map(str::to_owned),
        rejected_rows: RejectedRowsOptions {
            budget: case.budget,
            quarantine: Some(dir.join("rejected.csv")),
        },
    };
    let json_out = dir.join("out.json");
    let _ = std::fs::remove_file(&json_out);
    let _ = std::fs::remove_file(dir.join("rejected.csv"));
    let report = validate(&path, &options, Some(&json_out), control).expect("runs");
    let rejected = std::fs::read(dir.join("rejected.csv")).ok();
    let ndjson = std::fs::read(&json_out).ok();
    options.output_format = OutputFormat::Parquet;
    options.rejected_rows.quarantine = None;
    let parquet_out = dir.join("out.parquet");
    let _ = std::fs::remove_file(&parquet_out);
    let again = validate(&path, &options, Some(&parquet_out), control).expect("runs");
    assert_eq!(
        again, report,
        "{}: the same report for either output",
        case.name
    );
    // Without output or quarantine the second pass may be skipped when the
    // first proves what it would find: the report must be the same as when
    // it reads the file again, and as with output.
    let (read_anyway, read) = without_output(&path, &options, control);
    assert_eq!(
        read_anyway, report,
        "{}: the same report without output, the second pass forced",
        case.name
    );
    let parquet = parquet_out.exists().then(|| {
        let frame = ParquetReader::new(std::fs::File::open(&parquet_out).expect("output"))
            .finish()
            .expect("readable Parquet");
        let schema: Vec<String> = frame
            .columns()
            .iter()
            .map(|c| format!("{}: {}", c.name(), c.dtype()))
            .collect();
        // The typed values, as one text to digest.
        let mut text = String::new();
        for column in frame.columns() {
            for i in 0..column.len() {
                text.push_str(&format!("{}|", column.get(i).expect("value")));
            }
            text.push('\n');
        }
        json!({"rows": frame.height(), "schema": schema, "digest": fnv(text.as_bytes())})
    });
    let text_of = |bytes: Option<Vec<u8>>| -> Value {
        match bytes {
            None => Value::Null,
            Some(bytes) if case.large() => json!({
                "lines": bytes.iter().filter(|&&b| b == b'\n').count(),
                "digest": fnv(&bytes),
            }),
            Some(bytes) => String::from_utf8_lossy(&bytes)
                .lines()
                .map(|l| Value::String(l.to_owned()))
                .collect(),
        }
    };
    let outcome = json!({
        "file": case.file,
        "report": serde_json::to_value(&report).expect("json"),
        "ndjson_output": text_of(ndjson),
        "parquet_output": parquet,
        "rejected_rows": text_of(rejected),
    });
    (outcome, !read && !report.has_errors())
}

/// The report of `path` validated without output or quarantine with the
/// second pass forced, after checking it is the same when the second pass
/// may be skipped; and whether it was read twice then.
fn without_output(
    path: &Path,
    options: &crate::Options,
    control: &Control,
) -> (ingest_domain::ValidationReport, bool) {
    let mut options = options.clone();
    options.rejected_rows.quarantine = None;
    let (forced, read) =
        validate_with(path, &options, None, control, SecondPass::Always).expect("runs");
    assert!(read || forced.has_errors(), "forced: the second pass ran");
    let (shortcut, read_again) =
        validate_with(path, &options, None, control, SecondPass::WhenNeeded).expect("runs");
    assert_eq!(
        shortcut,
        forced,
        "{}: the same report whether the second pass runs or not",
        path.display()
    );
    (forced, read_again)
}

pub(crate) fn expected_path(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(format!("{name}.json"))
}

/// Checks every case against its expected file (or rewrites them with
/// `UPDATE_CORPUS=1`); panics naming the cases that differ, with the
/// actual outcome written beside the expected one. Returns the cases whose
/// report without output was known without a second pass.
pub(crate) fn check_corpus(control: impl Fn() -> Control, label: &str) -> Vec<&'static str> {
    let dir = tempfile::tempdir().expect("dir");
    let update = std::env::var_os("UPDATE_CORPUS").is_some_and(|v| v == "1");
    let mut differing = Vec::new();
    let mut one_pass = Vec::new();
    for case in cases(dir.path()) {
        let (actual, skipped) = outcome(&case, dir.path(), &control());
        if skipped {
            one_pass.push(case.name);
        }
        let path = expected_path(case.name);
        let text = serde_json::to_string_pretty(&actual).expect("json") + "\n";
        if update {
            std::fs::create_dir_all(path.parent().expect("dir")).expect("mkdir");
            std::fs::write(&path, text).expect("write expected");
            continue;
        }
        // Compared as text: serde_json does not read every float back to
        // the same bits it wrote.
        let expected = std::fs::read_to_string(&path).unwrap_or_default();
        if expected != text {
            let actual_path =
                std::env::temp_dir().join(format!("corpus-{label}-{}.json", case.name));
            std::fs::write(&actual_path, text).expect("write actual");
            differing.push(format!(
                "{} (actual in {})",
                case.name,
                actual_path.display()
            ));
        }
    }
    assert!(
        differing.is_empty(),
        "{label}: reports differ from tests/corpus for: {}",
        differing.join(", ")
    );
    one_pass
}

#[test]
fn corpus_reports_are_unchanged() {
    let one_pass = check_corpus(Control::default, "default");
    // Read once without output: every file whose rows all have a readable
    // time and values of their columns' types (ragged rows within the
    // budget are counted by the first pass). The others need the second
    // pass: rows without a time (`unreadable_times`), values breaking
    // column_types (`column_types`), errors (no second pass at all).
    assert_eq!(
        one_pass,
        [
            "quoted",
            "times_rfc3339",
            "times_day_first",
            "times_month_names",
            "times_epoch_millis",
            "timestamp_format",
            "leading_zeros",
            "european",
            "ragged_within_budget",
            "utf16",
            "latin1",
            "latin1_named",
            "gzip",
            "ndjson",
            "xlsx",
            "parquet",
            "large",
            "large_semicolon",
        ]
    );
}

/// Every file of the corpus read on several threads, however small, in
/// both passes (the profile and the typed output): the reports and outputs
/// are those of one thread, byte for byte.
#[test]
fn corpus_reports_are_the_same_on_several_threads() {
    let dir = tempfile::tempdir().expect("dir");
    let delimited = cases(dir.path())
        .iter()
        .filter(|c| c.file.contains(".csv") || c.file.ends_with(".tsv"))
        .count() as u64;
    // Cases whose rows reach the second pass (validated twice: NDJSON and
    // Parquet output), which runs on the same threads.
    let written = cases(dir.path())
        .iter()
        .filter(|c| {
            let expected = std::fs::read_to_string(expected_path(c.name)).unwrap_or_default();
            serde_json::from_str::<Value>(&expected)
                .is_ok_and(|v| v["report"]["rows_accepted"].as_u64().unwrap_or(0) > 0)
        })
        .count() as u64
        * 2;
    for threads in [1, 2, 3, 8] {
        let before = crate::column_workers::STARTED.load(std::sync::atomic::Ordering::Relaxed);
        let second_before =
            crate::normalize::WORKERS_STARTED.load(std::sync::atomic::Ordering::Relaxed);
        check_corpus(
            || {
                Control::default().with_parallelism(crate::Parallelism {
                    threads,
                    min_bytes: 0,
                })
            },
            &format!("{threads}-threads"),
        );
        let started =
            crate::column_workers::STARTED.load(std::sync::atomic::Ordering::Relaxed) - before;
        if threads == 1 {
            // (The counters are shared with tests running alongside.)
            continue;
        }
        assert!(
            started >= delimited,
            "{threads} threads: {started} pools started for {delimited} delimited files"
        );
        let second = crate::normalize::WORKERS_STARTED.load(std::sync::atomic::Ordering::Relaxed)
            - second_before;
        assert!(
            second >= written,
            "{threads} threads: the second pass ran on workers {second} times for {written} outputs"
        );
    }
}

#[test]
fn corpus_formats_are_what_they_claim() {
    let dir = tempfile::tempdir().expect("dir");
    let formats: Vec<FileFormat> = cases(dir.path())
        .iter()
        .map(|c| {
            detect_format(
                &c.bytes[..c.bytes.len().min(crate::SNIFF_LEN)],
                c.file,
                None,
            )
            .expect("a format")
        })
        .collect();
    for format in [
        FileFormat::Csv,
        FileFormat::Ndjson,
        FileFormat::Xlsx,
        FileFormat::Parquet,
    ] {
        assert!(formats.contains(&format), "{format:?} in the corpus");
    }
}
