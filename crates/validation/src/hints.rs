//! What a person can do about each kind of problem.

/// A suggestion for the problem `code`, if we have one. Limits (see
/// `Limits`) are configurable, but a hint first says how to fix the file.
pub fn hint_for(code: &str) -> Option<String> {
    let hint = match code {
        "empty_file" => "The file is empty. Export it again and check that it has a header line and data rows.",
        "no_data_rows" => "Only the header was found. Check that the export included the data rows.",
        "missing_header" => "Add a first line naming each column, e.g. timestamp,region,amount.",
        "empty_column_name" => "Give every column a name in the header line (the first line of the file).",
        "duplicate_column_name" => "Rename one of the columns so that every column name is unique.",
        "ragged_row" | "ragged_rows" => {
            "Every line must have as many fields as the header. In a CSV, check the delimiter and that fields containing the delimiter or line breaks are quoted with \"; in a workbook, put every value under a named header cell. To ingest the other rows and download these, allow them with max_rejected_rows or max_rejected_ratio (CLI: --max-rejected-rows)."
        }
        "too_many_rejected_rows" => {
            "Fix the lines listed in the report, or allow more rejected rows with the upload's max_rejected_rows or max_rejected_ratio fields (CLI: --max-rejected-rows); rows within the budget are left out and can be downloaded from the task's rejected rows."
        }
        "undecodable_rows" => {
            "Some lines cannot be read. Name the file's encoding in the encoding field, fix those lines, or allow them with max_rejected_rows (CLI: --max-rejected-rows) to ingest the others and download these."
        }
        "invalid_utf8" => {
            "The start of the file read as UTF-8 but this line does not. Name the file's encoding in the upload's encoding field (e.g. encoding=windows-1252; CLI: --encoding), or save it as UTF-8 (in Excel: 'CSV UTF-8')."
        }
        "ambiguous_encoding" => {
            "Name the file's encoding in the upload's encoding field, e.g. encoding=windows-1252 for Western European text from Excel (CLI: --encoding), or save the file as UTF-8."
        }
        "undecodable_text" => {
            "The file is not in the encoding it was read in (see the report's encoding). Send the right one in the upload's encoding field (CLI: --encoding), or save the file as UTF-8."
        }
        "unknown_encoding" => "Use a standard encoding name in the encoding field, e.g. utf-8, utf-16le, windows-1252, iso-8859-15, windows-1250, shift_jis.",
        "compression_ratio" => {
            "The compressed file expands to far more data than its size suggests (like a gzip bomb). Upload it uncompressed, or raise INGEST_MAX_COMPRESSION_RATIO if the data really is that repetitive."
        }
        "corrupt_compression" => "The gzip or zstd file is damaged or cut short. Compress it again, or upload it uncompressed.",
        "unreadable_csv" => "Check the quoting around the reported line: a field that starts with \" must end with \".",
        "invalid_json" | "not_an_object" | "unreadable_json" => {
            "Each line of an NDJSON file must be one complete JSON object, e.g. {\"time\":\"2024-01-01\",\"value\":1}."
        }
        "sheet_not_found" => "Choose one of the listed sheets in the sheet field, by its name or its number (1 for the first); CLI: --sheet.",
        "unreadable_xlsx" => "Open the file in Excel or LibreOffice and save it again as .xlsx.",
        "unreadable_parquet" => "The Parquet file seems damaged or incomplete; write it again.",
        "timestamp_column_not_found" => "Pick one of the listed columns for timestamp_column, or leave it out to detect one.",
        "timestamp_column_unparseable" => {
            "Use times like 2024-01-31, 2024-01-31 13:45:00 or 2024-01-31T13:45:00Z in that column, or leave timestamp_column out."
        }
        "too_many_columns" => {
            "Split the file into narrower files, or turn repeating columns into rows (in NDJSON: use fixed keys, and put variable names in a value, e.g. {\"name\":\"k1\",\"value\":1})."
        }
        "record_too_large" => {
            "One line (record) is longer than allowed. Check for an unclosed \" that swallows the rest of the file, or a missing line break; long texts belong in separate files."
        }
        "field_too_large" => "One field is longer than allowed. Check the quoting around it, or move long texts out of the file.",
        "xlsx_too_many_entries" | "xlsx_entry_too_large" | "xlsx_too_large" => {
            "The workbook is larger than allowed once unpacked. Export the sheet as CSV, or split it into several workbooks."
        }
        "xlsx_compression_ratio" => {
            "The workbook unpacks to far more data than its size suggests (like a zip bomb). Open it in Excel or LibreOffice and save it again, or export the sheet as CSV."
        }
        "xlsx_too_many_shared_strings" => {
            "The workbook's string table is larger than allowed or damaged (it declares more strings than it holds). Open it in Excel or LibreOffice and save it again, or export the sheet as CSV."
        }
        "xlsx_cell_out_of_range" => {
            "The workbook refers to cells beyond Excel's last column (XFD) or row (1048576), which Excel itself cannot make. Open it in Excel or LibreOffice and save it again."
        }
        "parquet_footer_too_large" | "parquet_too_many_row_groups" => {
            "The Parquet file's metadata is larger than allowed. Write it again with fewer, larger row groups (e.g. 100,000 rows or more per group)."
        }
        "parquet_row_count_mismatch" => {
            "The Parquet file's metadata does not match its data (it declares a different number of rows than it holds): the file is damaged or was cut short. Write it again."
        }
        "time_out_of_range" => "Row times must lie between the years 0001 and 9999. Fix these values, or choose another column with timestamp_column.",
        "reserved_column_name" => {
            "The names __time (the row time) and ingest_task_id (the upload each row came from) are reserved. Rename that column; a __time column can also be chosen as the time column with timestamp_column=__time."
        }
        "no_time_column" => {
            "Every row got the upload time. If a column holds the row times, name it in timestamp_column (CLI: --timestamp-column) and, if its values are written unusually, their format in timestamp_format (e.g. %d/%m/%Y %H:%M)."
        }
        "mostly_numeric" => {
            "Fix the listed values in the file, or set the column's type in column_types (e.g. {\"quantity\":\"long\"}; CLI: --column-types quantity=long) to read it as numbers and reject the rows whose value does not fit."
        }
        "value_breaks_column_type" | "values_breaking_column_types" => {
            "The value does not fit the type given in column_types. Fix the value in the file, or choose a wider type (double for decimals, string for anything)."
        }
        "column_types_unknown_column" => "Use the file's column names, exactly as its header writes them, in column_types.",
        "column_types_time_column" => "Leave the time column out of column_types: it is always read as a timestamp.",
        "invalid_timestamp_format" | "timestamp_format_unmatched" => {
            "Give timestamp_format as a strftime pattern matching the time column's values (e.g. %d/%m/%Y %H:%M:%S for 31/01/2024 13:45:00), or rfc3339, epoch_seconds, epoch_millis; name the column in timestamp_column."
        }
        "cancelled" => "The task was cancelled while its file was being checked. Upload the file again to start over.",
        "no_valid_rows" => "The time column has no readable values. Fix the times or choose another column with timestamp_column.",
        _ => return None,
    };
    Some(hint.to_owned())
}
