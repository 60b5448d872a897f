//! What a person can do about each kind of problem.

/// A suggestion for the problem `code`, if we have one.
pub fn hint_for(code: &str) -> Option<String> {
    let hint = match code {
        "empty_file" => "The file is empty. Export it again and check that it has a header line and data rows.",
        "no_data_rows" => "Only the header was found. Check that the export included the data rows.",
        "missing_header" => "Add a first line naming each column, e.g. timestamp,region,amount.",
        "empty_column_name" => "Give every column a name in the header line (the first line of the file).",
        "duplicate_column_name" => "Rename one of the columns so that every column name is unique.",
        "ragged_row" | "ragged_rows" => {
            "Every line must have as many fields as the header. In a CSV, check the delimiter and that fields containing the delimiter or line breaks are quoted with \"; in a workbook, put every value under a named header cell."
        }
        "invalid_utf8" => "Save the file as UTF-8 (in Excel: 'CSV UTF-8'; elsewhere: re-encode from Latin-1/Windows-1252).",
        "unreadable_csv" => "Check the quoting around the reported line: a field that starts with \" must end with \".",
        "invalid_json" | "not_an_object" | "unreadable_json" => {
            "Each line of an NDJSON file must be one complete JSON object, e.g. {\"time\":\"2024-01-01\",\"value\":1}."
        }
        "unreadable_xlsx" => "Open the file in Excel or LibreOffice and save it again as .xlsx.",
        "unreadable_parquet" => "The Parquet file seems damaged or incomplete; write it again.",
        "timestamp_column_not_found" => "Pick one of the listed columns for timestamp_column, or leave it out to detect one.",
        "timestamp_column_unparseable" => {
            "Use times like 2024-01-31, 2024-01-31 13:45:00 or 2024-01-31T13:45:00Z in that column, or leave timestamp_column out."
        }
        "no_valid_rows" => "The time column has no readable values. Fix the times or choose another column with timestamp_column.",
        _ => return None,
    };
    Some(hint.to_owned())
}
