//! Workbooks of issue 10: the sheet chosen by name or number (the first
//! non-empty one by default), every sheet listed with its size, and
//! date-formatted cells read as times in both of Excel's date systems.

use std::{
    io::{Read, Write},
    path::Path,
};

use chrono::Utc;
use ingest_domain::{FileFormat, TimestampSource, ValidationReport};
use rust_xlsxwriter::{Format, Workbook};

use crate::{validate, Control, OutputFormat};

fn run(path: &Path, sheet: Option<&str>) -> ValidationReport {
    let options = crate::Options {
        sheet: sheet.map(str::to_owned),
        ..crate::Options::new(FileFormat::Xlsx, Utc::now(), OutputFormat::Parquet)
    };
    let output = path.with_extension("out.parquet");
    validate(path, &options, Some(&output), &Control::default()).expect("validation runs")
}

/// Sheets "Notes" (empty), "Sales" (time, city: 3 rows) and "Costs"
/// (day, cost: 2 rows).
fn three_sheets(path: &Path) {
    let mut book = Workbook::new();
    book.add_worksheet().set_name("Notes").expect("name");
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let sales = book.add_worksheet().set_name("Sales").expect("name");
    sales.write_string(0, 0, "time").expect("write");
    sales.write_string(0, 1, "city").expect("write");
    for (row, city) in [(1u32, "Genève"), (2, "Zürich"), (3, "Köln")] {
        let serial = 45_000.0 + f64::from(row);
        sales
            .write_number_with_format(row, 0, serial, &date)
            .expect("write");
        sales.write_string(row, 1, city).expect("write");
    }
    let costs = book.add_worksheet().set_name("Costs").expect("name");
    costs.write_string(0, 0, "day").expect("write");
    costs.write_string(0, 1, "cost").expect("write");
    for row in 1..=2u32 {
        costs
            .write_number_with_format(row, 0, 45_100.0 + f64::from(row), &date)
            .expect("write");
        costs.write_number(row, 1, 2.5).expect("write");
    }
    book.save(path).expect("save");
}

fn chosen(report: &ValidationReport) -> &str {
    report
        .sheets
        .iter()
        .find(|s| s.chosen)
        .map(|s| s.name.as_str())
        .expect("a chosen sheet")
}

#[test]
fn the_first_non_empty_sheet_is_read_and_every_sheet_is_listed() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("book.xlsx");
    three_sheets(&path);
    let report = run(&path, None);
    assert_eq!(report.first_error(), None, "{:?}", report.problems);
    let names: Vec<&str> = report.sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["Notes", "Sales", "Costs"]);
    assert_eq!(chosen(&report), "Sales");
    let sales = &report.sheets[1];
    assert_eq!((sales.rows, sales.columns), (4, 2));
    assert_eq!((report.sheets[2].rows, report.sheets[2].columns), (3, 2));
    assert_eq!(report.rows_accepted, 3);
}

#[test]
fn a_sheet_is_chosen_by_name_or_number() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("book.xlsx");
    three_sheets(&path);
    for wanted in ["Costs", "costs", "3", " 3 "] {
        let report = run(&path, Some(wanted));
        assert_eq!(
            report.first_error(),
            None,
            "{wanted}: {:?}",
            report.problems
        );
        assert_eq!(chosen(&report), "Costs", "{wanted}");
        assert_eq!(report.rows_in, 2, "{wanted}");
        assert_eq!(report.timestamp.column.as_deref(), Some("day"));
    }
    let report = run(&path, Some("2"));
    assert_eq!(chosen(&report), "Sales");

    let missing = run(&path, Some("9"));
    let error = missing.first_error().expect("an error");
    assert_eq!(error.code, "sheet_not_found");
    assert!(error.message.contains("\"Costs\""), "{}", error.message);
    let empty = run(&path, Some("Notes"));
    assert_eq!(
        empty.first_error().map(|p| p.code.as_str()),
        Some("empty_file")
    );
}

/// Rewrites a workbook so that it uses the 1904 date system: the same
/// serial numbers then mean dates 1,462 days later.
fn to_1904(from: &Path, to: &Path) {
    let mut archive =
        zip::ZipArchive::new(std::fs::File::open(from).expect("open")).expect("an archive");
    let mut out = zip::ZipWriter::new(std::fs::File::create(to).expect("create"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).expect("entry");
        let name = entry.name().expect("an entry name").into_owned();
        let mut bytes = Vec::new();
        entry.read_to_end(&mut bytes).expect("read");
        if name == "xl/workbook.xml" {
            let text = String::from_utf8(bytes).expect("XML");
            assert!(text.contains("<workbookPr "), "{text}");
            bytes = text
                .replace("<workbookPr ", "<workbookPr date1904=\"1\" ")
                .into_bytes();
        }
        out.start_file(name, options).expect("start");
        out.write_all(&bytes).expect("write");
    }
    out.finish().expect("finish");
}

#[test]
fn date_cells_are_times_in_both_date_systems() {
    let dir = tempfile::tempdir().expect("dir");
    let path = dir.path().join("dates.xlsx");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let date = Format::new().set_num_format("yyyy-mm-dd hh:mm");
    sheet.write_string(0, 0, "when").expect("write");
    sheet.write_string(0, 1, "v").expect("write");
    // 45000.5 is 2023-03-15 12:00 counted from 1900 (Excel's leap-year bug
    // included), 2027-03-16 12:00 from 1904.
    sheet
        .write_number_with_format(1, 0, 45_000.5, &date)
        .expect("write");
    sheet.write_number(1, 1, 1.0).expect("write");
    book.save(&path).expect("save");

    let report = run(&path, None);
    assert_eq!(report.first_error(), None, "{:?}", report.problems);
    assert_eq!(report.timestamp.source, TimestampSource::Column);
    assert_eq!(
        report.timestamp.min.map(|t| t.to_rfc3339()).as_deref(),
        Some("2023-03-15T12:00:00+00:00")
    );

    let mac = dir.path().join("dates-1904.xlsx");
    to_1904(&path, &mac);
    let report = run(&mac, None);
    assert_eq!(report.first_error(), None, "{:?}", report.problems);
    assert_eq!(
        report.timestamp.min.map(|t| t.to_rfc3339()).as_deref(),
        Some("2027-03-16T12:00:00+00:00")
    );
}
