//! A preview: what an upload of a file would be ingested as — format,
//! encoding, columns and their types, the time column, the first rows
//! typed as they would be stored, and the problems found so far — from the
//! same first pass as `validate`, writing nothing anywhere the caller does
//! not own. A text file may be sent cut short (the dashboard sends its
//! first MiBs): then its last, possibly cut, line is left out, so a cut is
//! never reported as a broken row (see `cut`).

use std::path::{Path, PathBuf};

use ingest_domain::{
    ColumnType, FileFormat, FilePreview, PreviewRow, Severity, TimestampInfo, TimestampSource,
    PREVIEW_ROWS,
};
use serde_json::Value;

use crate::first_pass::{first_pass, FirstPass};
use crate::normalize::{self, cell_text, convert, time_of};
use crate::profile::{Problems, Profile};
use crate::quarantine::Quarantine;
use crate::source::{self, Cell, OpenError, ReadFailure, RowSource, SourceSpec};
use crate::timestamp::{in_range, millis_to_utc};
use crate::types::TypeBreak;
use crate::{Control, Options, ValidationError};

mod cut;

/// Previews the file at `path`. `truncated`: the file is only the start of
/// a larger one (text formats only; XLSX and Parquet must be whole). May
/// write a sibling of `path` (`<path>.lines`): give it a path in a folder
/// you remove afterwards.
pub fn preview(
    path: &Path,
    options: &Options,
    truncated: bool,
    control: &Control,
) -> Result<FilePreview, ValidationError> {
    let result = run(path, options, truncated, control);
    control.finish();
    if control.is_cancelled() {
        return Err(ValidationError::Cancelled);
    }
    result
}

fn run(
    path: &Path,
    options: &Options,
    truncated: bool,
    control: &Control,
) -> Result<FilePreview, ValidationError> {
    let is_text = matches!(options.format, FileFormat::Csv | FileFormat::Ndjson);
    let truncated = truncated && is_text;
    let mut compression = None;
    let read_path: PathBuf = if truncated {
        match cut::complete_lines(path, options.encoding.as_deref(), control)? {
            Ok(lines) => {
                compression = lines.compression;
                lines.path
            }
            Err(failure) => return Ok(unreadable(options, failure, truncated)),
        }
    } else {
        path.to_owned()
    };
    let FirstPass {
        mut profiled,
        delimiter,
        text,
        sheets,
        ..
    } = match first_pass(&read_path, options, control)? {
        Ok(pass) => pass,
        Err(failure) => return Ok(unreadable(options, failure, truncated)),
    };

    // Read again from the start for the first rows; a file that cannot be
    // reopened shows no rows, and its problems say why.
    let spec = SourceSpec {
        format: options.format,
        delimiter,
        encoding: options.encoding.as_deref(),
        sheet: options.sheet.as_deref(),
        checked: true,
    };
    if !options.column_types.is_empty() && !profiled.problems.has_errors() {
        settle_type_breaks(&read_path, spec, &mut profiled, options, control)?;
    }
    let rows = match source::open(&read_path, spec, control) {
        Ok(mut again) => first_rows(again.as_mut(), &profiled),
        Err(OpenError::Io(error)) => return Err(error),
        Err(OpenError::Content(_)) => Vec::new(),
    };
    Ok(FilePreview {
        format: options.format,
        delimiter: delimiter.map(|d| char::from(d).to_string()),
        encoding: text.as_ref().map(|t| t.encoding.clone()),
        compression: compression.or_else(|| text.as_ref().and_then(|t| t.compression())),
        sheets,
        columns: profiled.column_profiles(),
        timestamp: profiled.timestamp_info(),
        rows,
        rows_read: profiled.rows_in,
        truncated,
        problems: profiled.problems.listed,
        problems_not_listed: profiled.problems.not_listed,
    })
}

/// Values breaking `column_types` are met only by reading the rows again,
/// as `validate`'s second pass does (a row without a time is rejected for
/// that first; a column's decimal comma is known after the first pass):
/// read them, counting only, and settle them against the upload's budget,
/// so the preview says whether the upload would fail or reject those rows.
fn settle_type_breaks(
    path: &Path,
    spec: SourceSpec<'_>,
    profiled: &mut Profile,
    options: &Options,
    control: &Control,
) -> Result<(), ValidationError> {
    let mut again = match source::open(path, spec, control) {
        Ok(again) => again,
        Err(OpenError::Io(error)) => return Err(error),
        Err(OpenError::Content(_)) => return Ok(()),
    };
    // The second pass's other warnings are not the preview's to give.
    let mut unlisted = Problems::default();
    let written = normalize::write(
        again.as_mut(),
        profiled,
        None,
        &mut unlisted,
        &mut Quarantine::new(None),
        control,
        control
            .parallelism()
            .threads_for(std::fs::metadata(path).map_or(0, |m| m.len())),
    )?;
    written.budgeted.settle_type_breaks(
        &options.rejected_rows.budget,
        profiled.rows_in,
        &mut profiled.problems,
    );
    Ok(())
}

/// The first `PREVIEW_ROWS` rows, each value converted as the second pass
/// of `validate` converts it.
fn first_rows(source: &mut dyn RowSource, profile: &Profile) -> Vec<PreviewRow> {
    let columns = profile.column_profiles();
    let time_index = profile.time.column.as_ref().map(|(index, _)| *index);
    let time_name = time_index.map_or("", |i| profile.columns[i].as_str());
    let mut row: Vec<Cell> = Vec::new();
    let mut rows = Vec::with_capacity(PREVIEW_ROWS);
    while rows.len() < PREVIEW_ROWS {
        let Ok(Some(meta)) = source.next_row(&mut row) else {
            break;
        };
        row.resize(columns.len(), Cell::Null);
        let time = match &profile.time.column {
            Some((index, format)) => time_of(&row[*index], format).filter(|t| in_range(*t)),
            None => Some(profile.time.constant),
        };
        let mut values = Vec::with_capacity(columns.len());
        let mut mistyped = Vec::new();
        let mut broken = None;
        for (index, (cell, column)) in row.iter().zip(&columns).enumerate() {
            if Some(index) == time_index {
                let text = time
                    .and_then(millis_to_utc)
                    .map(|t| Value::String(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)));
                values.push(text.unwrap_or(Value::Null));
                continue;
            }
            let comma =
                column.decimal_separator.is_some() && column.column_type == ColumnType::Double;
            match convert(cell, column.column_type, comma) {
                Some(value) => values.push(value.into_json()),
                None => {
                    values.push(Value::Null);
                    mistyped.push(column.name.clone());
                    let overridden = profile.states[index].wanted().is_some();
                    if overridden && broken.is_none() {
                        broken = Some(
                            TypeBreak {
                                column: &column.name,
                                value: cell_text(cell),
                                wanted: column.column_type,
                            }
                            .reason(),
                        );
                    }
                }
            }
        }
        let rejected = if source.checks_field_count() && meta.field_count != columns.len() {
            Some(format!(
                "it has {} fields but the header has {}",
                meta.field_count,
                columns.len()
            ))
        } else if time.is_none() {
            Some(format!(
                "its {time_name:?} value is empty or not a readable time"
            ))
        } else {
            broken
        };
        rows.push(PreviewRow {
            line: meta.line,
            values,
            mistyped,
            rejected,
        });
    }
    rows
}

/// A preview of a file that cannot be read at all: the reason, nothing else.
fn unreadable(options: &Options, failure: ReadFailure, truncated: bool) -> FilePreview {
    FilePreview {
        format: options.format,
        delimiter: None,
        encoding: None,
        compression: None,
        sheets: Vec::new(),
        columns: Vec::new(),
        timestamp: TimestampInfo {
            column: None,
            format: None,
            min: None,
            max: None,
            source: TimestampSource::UploadTime,
        },
        rows: Vec::new(),
        rows_read: 0,
        truncated,
        problems: vec![ingest_domain::Problem {
            severity: Severity::Error,
            code: failure.code.to_owned(),
            message: failure.message,
            line: failure.line,
            column: None,
        }],
        problems_not_listed: 0,
    }
}

#[cfg(test)]
mod tests;
