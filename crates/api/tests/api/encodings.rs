//! Files as people have them (issue 10): a Windows-1252 export, a UTF-16
//! one, a gzip-compressed CSV, each uploaded, ingested into the local sink,
//! and its non-ASCII text read back from the sink's Parquet files.

use std::{io::Write, path::Path};

use ingest_domain::{EncodingSource, TaskStatus};
use polars::prelude::*;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::helpers::{assert_error, Backends, TestApp};

const CITIES: [&str; 3] = ["Genève", "São Paulo", "Zürich"];

fn cities_csv() -> String {
    let mut text = "time,city\n".to_owned();
    for (i, city) in CITIES.iter().enumerate() {
        text.push_str(&format!("2024-01-0{},{city}\n", i + 1));
    }
    text
}

/// The `city` values the local sink holds for `datasource`, sorted.
fn cities_in_sink(data_dir: &Path, datasource: &str) -> Vec<String> {
    let folder = data_dir.join("datasources").join(datasource);
    let mut cities = Vec::new();
    for entry in std::fs::read_dir(&folder).expect("the datasource's folder") {
        let path = entry.expect("entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("parquet") {
            continue;
        }
        let frame = ParquetReader::new(std::fs::File::open(&path).expect("open"))
            .finish()
            .expect("Parquet");
        let column = frame.column("city").expect("city column");
        cities.extend((0..column.len()).map(|i| {
            column
                .get(i)
                .ok()
                .and_then(|v| v.get_str().map(str::to_owned))
                .expect("a string")
        }));
    }
    cities.sort();
    cities
}

#[tokio::test]
async fn a_windows_1252_csv_is_detected_and_its_text_read_back() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let text = cities_csv();
    let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(&text);
    let task = app.ingest("excel.csv", bytes.into_owned(), "cities").await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    let report = task.validation.expect("report");
    let encoding = report.encoding.expect("encoding reported");
    assert_eq!(encoding.name, "windows-1252");
    assert_eq!(encoding.source, EncodingSource::Detected);
    assert_eq!(cities_in_sink(app.data_dir(), "cities"), CITIES);
}

#[tokio::test]
async fn a_gzip_csv_is_accepted_and_decompressed() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let text = cities_csv();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(text.as_bytes()).expect("compress");
    let gz = gz.finish().expect("compress");
    let task = app.ingest("cities.csv.gz", gz.clone(), "zipped").await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    let compression = task
        .validation
        .expect("report")
        .compression
        .expect("compression reported");
    assert_eq!(compression.codec, "gzip");
    assert_eq!(compression.compressed_bytes, gz.len() as u64);
    assert_eq!(compression.uncompressed_bytes, text.len() as u64);
    assert_eq!(cities_in_sink(app.data_dir(), "zipped"), CITIES);
}

#[tokio::test]
async fn a_utf16_export_is_accepted_and_the_encoding_field_overrides_detection() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let utf16: Vec<u8> = format!("\u{feff}{}", cities_csv().replace(',', "\t"))
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let task = app.ingest("export.txt", utf16, "sheet").await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(
        task.validation.expect("report").encoding.expect("enc").name,
        "UTF-16LE"
    );
    assert_eq!(cities_in_sink(app.data_dir(), "sheet"), CITIES);

    // ISO-8859-2 reads 0xB9 as "š" where windows-1252 reads "¹".
    let form = Form::new()
        .part(
            "file",
            Part::bytes(b"time,city\n2024-01-01,Ko\xb9ice\n".to_vec()).file_name("sk.csv"),
        )
        .text("datasource_name", "slovak")
        .text("encoding", "latin2");
    let response = app.post_form(form).await;
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.expect("JSON");
    app.run_workers().await;
    let task = app.task(body["task_id"].as_str().expect("id")).await;
    assert_eq!(task.status(), TaskStatus::Succeeded, "{:?}", task.error);
    assert_eq!(task.encoding.as_deref(), Some("ISO-8859-2"));
    let encoding = task.validation.expect("report").encoding.expect("enc");
    assert_eq!(encoding.source, EncodingSource::Field);
    assert_eq!(cities_in_sink(app.data_dir(), "slovak"), ["Košice"]);

    let form = Form::new()
        .part("file", Part::bytes(b"time,v\n".to_vec()).file_name("a.csv"))
        .text("datasource_name", "slovak")
        .text("encoding", "klingon");
    let body = assert_error(app.post_form(form).await, 422, "invalid_field").await;
    assert_eq!(body["error"]["details"]["field"], "encoding");
}

/// The codes and fields of an accepted upload's warnings.
async fn warned_fields(app: &TestApp, form: Form) -> Vec<(String, String)> {
    let response = app.post_form(form).await;
    assert_eq!(response.status().as_u16(), 202);
    let body: Value = response.json().await.expect("JSON");
    body["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .map(|w| {
            let field = w["details"]["field"].as_str().unwrap_or_default();
            (
                w["code"].as_str().unwrap_or_default().to_owned(),
                field.to_owned(),
            )
        })
        .collect()
}

#[tokio::test]
async fn fields_that_mean_nothing_for_the_file_are_warned_about() {
    let app = TestApp::spawn(Backends::Embedded).await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "city").expect("header");
    sheet.write_string(1, 0, "Košice").expect("cell");
    let xlsx = book.save_to_buffer().expect("xlsx");
    let form = Form::new()
        .part("file", Part::bytes(xlsx).file_name("book.xlsx"))
        .text("datasource_name", "workbook")
        .text("encoding", "latin2");
    assert_eq!(
        warned_fields(&app, form).await,
        [("field_not_used".to_owned(), "encoding".to_owned())]
    );

    let csv = || Part::bytes(cities_csv().into_bytes()).file_name("c.csv");
    let form = Form::new()
        .part("file", csv())
        .text("datasource_name", "text")
        .text("sheet", "2");
    assert_eq!(
        warned_fields(&app, form).await,
        [("field_not_used".to_owned(), "sheet".to_owned())]
    );
    // Where they apply, no word (another datasource: the same content
    // again would be a `duplicate_upload`).
    let form = Form::new()
        .part("file", csv())
        .text("datasource_name", "more_text")
        .text("encoding", "utf-8");
    assert_eq!(warned_fields(&app, form).await, []);
}
