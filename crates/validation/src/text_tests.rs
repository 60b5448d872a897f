//! The text corpus of issue 10: encodings (with and without a byte order
//! mark, detected or named), gzip and zstd (and a bomb), semicolon files with
//! decimal commas, a UTF-16 TSV. Every case checks the text that reaches the
//! Parquet output, not only row counts.

use std::io::Write;

use chrono::Utc;
use encoding_rs::Encoding;
use ingest_domain::{ColumnType, EncodingSource, FileFormat, ValidationReport};
use polars::prelude::*;

use crate::{detect_format, validate, Control, Limits, OutputFormat};

const CITIES: [&str; 4] = ["São Paulo", "Zürich", "Genève", "Montréal"];

fn cities_csv(delimiter: char) -> String {
    let mut text = format!("time{delimiter}city{delimiter}n\n");
    for (i, city) in CITIES.iter().enumerate() {
        text.push_str(&format!(
            "2024-01-0{}{delimiter}{city}{delimiter}{i}\n",
            i + 1
        ));
    }
    text
}

fn utf16(text: &str, big_endian: bool, bom: bool) -> Vec<u8> {
    let units = bom.then_some(0xfeff).into_iter().chain(text.encode_utf16());
    if big_endian {
        units.flat_map(u16::to_be_bytes).collect()
    } else {
        units.flat_map(u16::to_le_bytes).collect()
    }
}

fn legacy(text: &str, encoding: &'static Encoding) -> Vec<u8> {
    let (bytes, _, unmappable) = encoding.encode(text);
    assert!(!unmappable, "{} can encode the text", encoding.name());
    bytes.into_owned()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(bytes).expect("compress");
    gz.finish().expect("compress")
}

struct Outcome {
    report: ValidationReport,
    frame: Option<DataFrame>,
}

impl Outcome {
    fn strings(&self, column: &str) -> Vec<String> {
        let frame = self.frame.as_ref().expect("output written");
        let column = frame.column(column).expect("column in output");
        (0..column.len())
            .map(|i| {
                column
                    .get(i)
                    .ok()
                    .and_then(|v| v.get_str().map(str::to_owned))
                    .expect("a string")
            })
            .collect()
    }

    fn doubles(&self, column: &str) -> Vec<f64> {
        let frame = self.frame.as_ref().expect("output written");
        let column = frame.column(column).expect("column in output");
        (0..column.len())
            .map(|i| {
                column
                    .get(i)
                    .ok()
                    .and_then(|v| v.extract::<f64>())
                    .expect("a number")
            })
            .collect()
    }

    fn first_error(&self) -> Option<&str> {
        self.report.first_error().map(|p| p.code.as_str())
    }
}

fn run_with(name: &str, bytes: &[u8], encoding: Option<&str>, control: &Control) -> Outcome {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write");
    // As the upload does: the format from the content, through compression.
    let format =
        detect_format(&bytes[..bytes.len().min(crate::SNIFF_LEN)], name, None).expect("a format");
    let options = crate::Options {
        encoding: encoding.map(str::to_owned),
        ..crate::Options::new(format, Utc::now(), OutputFormat::Parquet)
    };
    let output = dir.path().join("out.parquet");
    let report = validate(&path, &options, Some(&output), control).expect("validation runs");
    let frame = output.exists().then(|| {
        ParquetReader::new(std::fs::File::open(&output).expect("output"))
            .finish()
            .expect("readable Parquet")
    });
    Outcome { report, frame }
}

fn run(name: &str, bytes: &[u8], encoding: Option<&str>) -> Outcome {
    run_with(name, bytes, encoding, &Control::default())
}

fn assert_read(outcome: &Outcome, encoding: &str, source: EncodingSource) {
    assert_eq!(outcome.first_error(), None, "{:?}", outcome.report.problems);
    let read = outcome.report.encoding.as_ref().expect("an encoding");
    assert_eq!((read.name.as_str(), read.source), (encoding, source));
    assert!(!read.reason.is_empty());
    assert_eq!(outcome.strings("city"), CITIES, "read as {encoding}");
    assert_eq!(outcome.report.rows_accepted, 4);
}

#[test]
fn every_encoding_reaches_the_output_as_the_same_text() {
    let text = cities_csv(',');
    let bom_utf8 = [b"\xef\xbb\xbf".as_slice(), text.as_bytes()].concat();
    let cases: Vec<(&str, Vec<u8>, &str, EncodingSource)> = vec![
        (
            "utf8.csv",
            text.clone().into_bytes(),
            "UTF-8",
            EncodingSource::Utf8,
        ),
        ("bom.csv", bom_utf8, "UTF-8", EncodingSource::Bom),
        (
            "le.csv",
            utf16(&text, false, true),
            "UTF-16LE",
            EncodingSource::Bom,
        ),
        (
            "be.csv",
            utf16(&text, true, true),
            "UTF-16BE",
            EncodingSource::Bom,
        ),
        (
            "le-no-bom.csv",
            utf16(&text, false, false),
            "UTF-16LE",
            EncodingSource::Detected,
        ),
        (
            "excel.csv",
            legacy(&text, encoding_rs::WINDOWS_1252),
            "windows-1252",
            EncodingSource::Detected,
        ),
    ];
    for (name, bytes, encoding, source) in cases {
        let outcome = run(name, &bytes, None);
        assert_read(&outcome, encoding, source);
        // The BOM is not part of the first column's name.
        assert_eq!(outcome.report.columns[0].name, "time", "{name}");
        assert_eq!(outcome.report.timestamp.column.as_deref(), Some("time"));
    }
    let detected = run("excel.csv", &legacy(&text, encoding_rs::WINDOWS_1252), None);
    assert!(detected.report.encoding.expect("encoding").confidence >= 67);
}

#[test]
fn other_scripts_are_detected_or_named() {
    let polish = "time,city\n2024-01-01,Łódź\n2024-01-02,Kraków\n2024-01-03,Gdańsk\n";
    let outcome = run("pl.csv", &legacy(polish, encoding_rs::WINDOWS_1250), None);
    assert_eq!(outcome.first_error(), None, "{:?}", outcome.report.problems);
    assert_eq!(
        outcome.report.encoding.as_ref().expect("enc").name,
        "windows-1250"
    );
    assert_eq!(outcome.strings("city"), ["Łódź", "Kraków", "Gdańsk"]);

    let russian = "time,city\n2024-01-01,Москва\n2024-01-02,Санкт-Петербург\n";
    let outcome = run("ru.csv", &legacy(russian, encoding_rs::WINDOWS_1251), None);
    assert_eq!(outcome.strings("city"), ["Москва", "Санкт-Петербург"]);

    // Named: the field wins over detection, whatever its spelling.
    let japanese = "time,city\n2024-01-01,東京\n2024-01-02,大阪\n";
    let outcome = run(
        "jp.csv",
        &legacy(japanese, encoding_rs::SHIFT_JIS),
        Some("sjis"),
    );
    let read = outcome.report.encoding.as_ref().expect("enc");
    assert_eq!(
        (read.name.as_str(), read.source),
        ("Shift_JIS", EncodingSource::Field)
    );
    assert_eq!(outcome.strings("city"), ["東京", "大阪"]);
    let latin1 = legacy(&cities_csv(','), encoding_rs::WINDOWS_1252);
    assert_read(
        &run("l1.csv", &latin1, Some("latin1")),
        "windows-1252",
        EncodingSource::Field,
    );
}

#[test]
fn an_ambiguous_file_fails_with_candidates_and_reads_once_named() {
    let bytes = b"time,name\n2024-01-01,\xb9\xe6\n";
    let outcome = run("who.csv", bytes, None);
    assert_eq!(outcome.first_error(), Some("ambiguous_encoding"));
    let problem = outcome.report.first_error().expect("error");
    assert_eq!(problem.line, Some(2));
    assert!(
        problem.message.contains("ISO-8859-2"),
        "{}",
        problem.message
    );
    assert!(crate::hint_for("ambiguous_encoding").is_some_and(|h| h.contains("encoding field")));

    let named = run("who.csv", bytes, Some("iso-8859-2"));
    assert_eq!(named.first_error(), None);
    assert_eq!(named.strings("name"), ["šć"]);
}

#[test]
fn undecodable_bytes_fail_with_their_line_never_replaced() {
    // UTF-8 for the first 64 KiB (so read as UTF-8), then a Latin-1 byte.
    let mut bytes = b"time,v\n".to_vec();
    let mut line = 1;
    while bytes.len() < 70_000 {
        bytes.extend_from_slice(b"2024-01-01,plain ascii text\n");
        line += 1;
    }
    bytes.extend_from_slice(b"2024-01-01,caf\xe9\n");
    let outcome = run("late.csv", &bytes, None);
    assert_eq!(outcome.first_error(), Some("invalid_utf8"));
    assert_eq!(
        outcome.report.first_error().and_then(|p| p.line),
        Some(line + 1)
    );

    // Named UTF-16 that ends in the middle of a character.
    let mut cut = utf16("time,v\n2024-01-01,x\n", false, true);
    cut.push(b'y');
    let outcome = run("cut.csv", &cut, None);
    assert_eq!(outcome.first_error(), Some("undecodable_text"));
    assert_eq!(outcome.report.first_error().and_then(|p| p.line), Some(3));

    // A name we do not know is its own error.
    let outcome = run("x.csv", b"time,v\n2024-01-01,1\n", Some("klingon"));
    assert_eq!(outcome.first_error(), Some("unknown_encoding"));
}

#[test]
fn gzip_and_zstd_are_read_through_whatever_the_name() {
    let text = cities_csv(',');
    let cases = [
        ("cities.csv.gz", gzip(text.as_bytes())),
        ("cities.csv", gzip(text.as_bytes())),
        (
            "cities.zst",
            zstd::encode_all(text.as_bytes(), 3).expect("zstd"),
        ),
        // Compressed and in a legacy encoding.
        (
            "excel.csv.gz",
            gzip(&legacy(&text, encoding_rs::WINDOWS_1252)),
        ),
    ];
    for (name, bytes) in cases {
        let outcome = run(name, &bytes, None);
        assert_eq!(
            outcome.first_error(),
            None,
            "{name}: {:?}",
            outcome.report.problems
        );
        assert_eq!(outcome.strings("city"), CITIES, "{name}");
        let compression = outcome.report.compression.as_ref().expect("compression");
        assert_eq!(compression.compressed_bytes, bytes.len() as u64, "{name}");
        assert_eq!(
            compression.uncompressed_bytes,
            if name.starts_with("excel") {
                legacy(&text, encoding_rs::WINDOWS_1252).len()
            } else {
                text.len()
            } as u64,
            "{name}"
        );
    }
    let ndjson = "{\"time\":\"2024-01-01\",\"city\":\"São Paulo\"}\n".repeat(3);
    let outcome = run("events.jsonl.gz", &gzip(ndjson.as_bytes()), None);
    assert_eq!(outcome.report.format, FileFormat::Ndjson);
    assert_eq!(outcome.strings("city"), ["São Paulo"; 3]);
    // Uncompressed files have no compression in their report.
    assert!(run("plain.csv", text.as_bytes(), None)
        .report
        .compression
        .is_none());
}

#[test]
fn a_gzip_bomb_fails_cleanly_with_its_code() {
    let mut bomb = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    bomb.write_all(b"time,v\n").expect("compress");
    let line = b"2024-01-01,0\n".repeat(64 * 1024);
    for _ in 0..40 {
        bomb.write_all(&line).expect("compress"); // ~33 MiB in all
    }
    let bomb = bomb.finish().expect("compress");
    assert!(bomb.len() < 200 * 1024, "a real bomb: {} bytes", bomb.len());
    let control = Control::default();
    let outcome = run_with("bomb.csv.gz", &bomb, None, &control);
    assert_eq!(outcome.first_error(), Some("compression_ratio"));
    assert!(outcome.frame.is_none());
    // It stopped soon after the ratio was passed, not at the end.
    assert!(control.progress().bytes_read < bomb.len() as u64);

    // Allowed by a higher limit, the same file is read in full.
    let lenient = Control::new(Limits {
        max_compression_ratio: 100_000,
        ..Limits::default()
    });
    let outcome = run_with("bomb.csv.gz", &bomb, None, &lenient);
    assert_eq!(outcome.first_error(), None);
    assert_eq!(outcome.report.rows_in, 40 * 64 * 1024);

    let mut cut = gzip(cities_csv(',').as_bytes());
    cut.truncate(cut.len() - 12);
    let outcome = run("cut.csv.gz", &cut, None);
    assert_eq!(outcome.first_error(), Some("corrupt_compression"));
}

#[test]
fn semicolon_files_with_decimal_commas_have_numeric_columns() {
    let text = "time;amount;units;price\n\
                2024-01-01;1.234,50;3;12,5\n\
                2024-01-02;-0,25;4;7\n\
                2024-01-03;2.000.000,00;5;0,99\n";
    let outcome = run("europe.csv", &legacy(text, encoding_rs::WINDOWS_1252), None);
    assert_eq!(outcome.first_error(), None, "{:?}", outcome.report.problems);
    assert_eq!(outcome.report.delimiter.as_deref(), Some(";"));
    let column = |name: &str| {
        outcome
            .report
            .columns
            .iter()
            .find(|c| c.name == name)
            .expect("column")
    };
    assert_eq!(column("amount").column_type, ColumnType::Double);
    assert_eq!(column("amount").decimal_separator.as_deref(), Some(","));
    assert_eq!(column("amount").thousands_separator.as_deref(), Some("."));
    assert_eq!(column("amount").max.as_deref(), Some("2000000"));
    assert_eq!(outcome.doubles("amount"), [1234.5, -0.25, 2_000_000.0]);
    assert_eq!(column("price").decimal_separator.as_deref(), Some(","));
    assert_eq!(column("price").thousands_separator, None);
    assert_eq!(outcome.doubles("price"), [12.5, 7.0, 0.99]);
    assert_eq!(column("units").column_type, ColumnType::Long);
    assert_eq!(column("units").decimal_separator, None);

    // In a comma-separated file a quoted "1,5" stays text.
    let outcome = run("us.csv", b"time,v\n2024-01-01,\"1,5\"\n", None);
    assert_eq!(outcome.report.columns[1].column_type, ColumnType::String);
}

#[test]
fn a_utf16_tsv_named_txt_is_read_as_tab_separated() {
    let text = cities_csv('\t');
    let bytes = utf16(&text, false, true);
    let outcome = run("export.txt", &bytes, None);
    assert_eq!(outcome.report.delimiter.as_deref(), Some("\t"));
    assert_read(&outcome, "UTF-16LE", EncodingSource::Bom);
    // And plain UTF-8 TSV keeps working.
    let outcome = run("export.tsv", text.as_bytes(), None);
    assert_eq!(outcome.report.delimiter.as_deref(), Some("\t"));
    assert_eq!(outcome.strings("city"), CITIES);
}

#[test]
fn progress_counts_the_bytes_of_the_file_as_stored() {
    let bytes = gzip(cities_csv(',').as_bytes());
    let control = Control::default();
    run_with("p.csv.gz", &bytes, None, &control);
    let progress = control.progress();
    assert_eq!(progress.bytes_total, bytes.len() as u64);
    assert_eq!(progress.bytes_read, bytes.len() as u64);
}
