//! Validation and profiling of uploaded files, streaming in two passes so
//! memory stays bounded whatever the file's size: the first learns types,
//! the time column and problems; the second writes the accepted rows as
//! typed Parquet with Polars. Without output, the second pass only counts
//! rows, and is skipped when the first proves what it would count
//! (`Profile::accepted_without_reading_again`).

mod column_workers;
mod control;
#[cfg(test)]
mod corpus_tests;
mod detect;
mod first_pass;
mod hints;
#[cfg(test)]
mod hostile_tests;
mod infer;
mod normalize;
#[cfg(test)]
mod one_pass_tests;
mod preview;
mod profile;
mod quarantine;
#[cfg(test)]
mod rejected_tests;
mod rejections;
#[cfg(test)]
mod sheet_tests;
mod source;
mod stats;
#[cfg(test)]
mod steer_tests;
#[cfg(test)]
mod test_rng;
#[cfg(test)]
mod text_tests;
mod timestamp;
mod types;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use chrono::{DateTime, Utc};
use ingest_domain::{ColumnType, FileFormat, Severity, ValidationReport};

pub use control::{Control, Limits, Parallelism, Pass, Progress};
pub use detect::{detect_format, DetectError, SNIFF_LEN};
pub use hints::hint_for;
pub use normalize::{OutputFormat, TIME_COLUMN};
pub use preview::preview;
pub use quarantine::{
    HEADER as REJECTED_ROWS_HEADER, MAX_RECORD_BYTES as MAX_REJECTED_RECORD_BYTES,
};
pub use rejections::RejectedRowsOptions;

#[derive(Debug, thiserror::Error)]
pub enum ValidationError {
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("Polars could not {operation}")]
    Polars {
        operation: &'static str,
        #[source]
        source: polars::error::PolarsError,
    },
    /// The file read differently the second time: it changed underneath us.
    #[error("the file changed while it was being validated: {0}")]
    Changed(String),
    /// `Control::cancel` was called.
    #[error("validation was cancelled")]
    Cancelled,
}

impl ValidationError {
    pub(crate) fn io(path: &Path) -> impl FnOnce(std::io::Error) -> Self + '_ {
        move |source| Self::Io {
            path: path.to_owned(),
            source,
        }
    }

    pub(crate) fn polars(
        operation: &'static str,
    ) -> impl FnOnce(polars::error::PolarsError) -> Self {
        move |source| Self::Polars { operation, source }
    }
}

/// The canonical name of an encoding label (`latin1` → `windows-1252`), or
/// `None` when it names no encoding a text file can be read in.
pub fn encoding_name(label: &str) -> Option<&'static str> {
    encoding_rs::Encoding::for_label(label.trim().as_bytes())
        .filter(|e| *e != encoding_rs::REPLACEMENT)
        .map(|e| e.name())
}

/// How to read and check a file.
#[derive(Debug, Clone)]
pub struct Options {
    pub format: FileFormat,
    /// CSV delimiter; sniffed when `None`.
    pub delimiter: Option<u8>,
    /// Use this column for row times instead of detecting one.
    pub timestamp_column: Option<String>,
    /// Text formats: read the file in this encoding (a WHATWG label such as
    /// `windows-1252`) instead of detecting it.
    pub encoding: Option<String>,
    /// XLSX: the sheet to read, by name or 1-based number; the first
    /// non-empty one when `None`.
    pub sheet: Option<String>,
    /// Row time when the file has no time column (the upload time).
    pub fallback_time: DateTime<Utc>,
    /// Layout of the normalized file, when one is written.
    pub output_format: OutputFormat,
    /// Column types the uploader chose (`column_types`), by column name;
    /// a value that does not fit its column's type rejects its row.
    pub column_types: BTreeMap<String, ColumnType>,
    /// How the time column's values are written (`timestamp_format`); see
    /// `check_timestamp_format`. Detected when `None`.
    pub timestamp_format: Option<String>,
    /// How many unreadable rows may be rejected, and where rejected rows go.
    pub rejected_rows: RejectedRowsOptions,
}

impl Options {
    /// The file read as it comes: delimiter, encoding, sheet, time column
    /// and types detected, no rejected rows allowed; `fallback_time` is the
    /// row time when no column holds one.
    pub fn new(
        format: FileFormat,
        fallback_time: DateTime<Utc>,
        output_format: OutputFormat,
    ) -> Self {
        Self {
            format,
            delimiter: None,
            timestamp_column: None,
            encoding: None,
            sheet: None,
            fallback_time,
            output_format,
            column_types: BTreeMap::new(),
            timestamp_format: None,
            rejected_rows: RejectedRowsOptions::default(),
        }
    }
}

/// Checks a `timestamp_format`: `rfc3339`, `epoch_seconds`, `epoch_millis`,
/// or a chrono strftime pattern giving at least a date (`%d/%m/%Y %H:%M`).
/// `Err` says what is wrong, for the uploader.
pub fn check_timestamp_format(text: &str) -> Result<(), String> {
    timestamp::TimeFormat::from_user(text).map(|_| ())
}

/// The uploader's type choices, ready to use; a bad `timestamp_format`
/// (possible from the CLI) fails the file.
pub(crate) fn steering(options: &Options) -> Result<types::Steering, source::ReadFailure> {
    let time_format = options
        .timestamp_format
        .as_deref()
        .map(timestamp::TimeFormat::from_user)
        .transpose()
        .map_err(|message| source::ReadFailure {
            code: "invalid_timestamp_format",
            message,
            line: None,
        })?;
    Ok(types::Steering {
        column_types: options.column_types.clone(),
        time_format,
    })
}

/// Validates `path` and, when it has no errors and `output` is given, writes
/// the accepted rows there as Parquet. Problems with the file's content are
/// in the report (errors make it unacceptable; an exceeded limit of
/// `control` is such an error); `Err` means we could not do the work at all,
/// or `control` cancelled it.
pub fn validate(
    path: &Path,
    options: &Options,
    output: Option<&Path>,
    control: &Control,
) -> Result<ValidationReport, ValidationError> {
    validate_with(path, options, output, control, SecondPass::WhenNeeded).map(|(report, _)| report)
}

/// Whether the second pass reads the file again when the first proved
/// what it would find (tests force it, to compare the reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SecondPass {
    WhenNeeded,
    #[cfg_attr(not(test), allow(dead_code))]
    Always,
}

/// `validate`, saying whether the second pass read the file.
pub(crate) fn validate_with(
    path: &Path,
    options: &Options,
    output: Option<&Path>,
    control: &Control,
    second: SecondPass,
) -> Result<(ValidationReport, bool), ValidationError> {
    let result = run(path, options, output, control, second);
    control.finish();
    // Whatever a cancelled run ended with (a cut-short read, say) is moot.
    if control.is_cancelled() {
        return Err(ValidationError::Cancelled);
    }
    result
}

fn run(
    path: &Path,
    options: &Options,
    output: Option<&Path>,
    control: &Control,
    second: SecondPass,
) -> Result<(ValidationReport, bool), ValidationError> {
    let first_pass::FirstPass {
        mut profiled,
        size,
        delimiter,
        text,
        sheets,
    } = match first_pass::first_pass(path, options, control)? {
        Ok(pass) => pass,
        Err(failure) => return Ok((unreadable_report(options, failure), false)),
    };

    let (mut rows_accepted, mut rows_rejected) = (0, profiled.rows_in);
    // Without output, the second pass only counts rows and lists the
    // problems of rows the first pass could not judge (no readable time, a
    // value not of its column's type); when the first pass proves there are
    // none, its counts are known without reading the file again. Rejected
    // rows would have to be written to the quarantine, though.
    let known = (second == SecondPass::WhenNeeded
        && output.is_none()
        && (options.rejected_rows.quarantine.is_none() || profiled.budgeted_rows == 0)
        && !profiled.problems.has_errors())
    .then(|| profiled.accepted_without_reading_again())
    .flatten();
    let read_again = known.is_none() && !profiled.problems.has_errors();
    if let Some(accepted) = known {
        rows_accepted = accepted;
        rows_rejected = profiled.budgeted_rows;
    } else if read_again {
        let spec = source::SourceSpec {
            format: options.format,
            delimiter,
            encoding: options.encoding.as_deref(),
            sheet: options.sheet.as_deref(),
            checked: true,
        };
        control.start_pass(Pass::Writing, size);
        let mut again = source::open(path, spec, control).map_err(|e| match e {
            source::OpenError::Io(error) => error,
            source::OpenError::Content(f) => ValidationError::Changed(f.message),
        })?;
        let mut problems = std::mem::take(&mut profiled.problems);
        let mut quarantine =
            quarantine::Quarantine::new(options.rejected_rows.quarantine.as_deref());
        let written = normalize::write(
            again.as_mut(),
            &profiled,
            output.map(|p| (p, options.output_format)),
            &mut problems,
            &mut quarantine,
            control,
            control.parallelism().threads_for(size),
        )?;
        let within_budget = written.budgeted.settle_type_breaks(
            &options.rejected_rows.budget,
            profiled.rows_in,
            &mut problems,
        );
        profiled.problems = problems;
        if within_budget {
            quarantine.finish()?;
            rows_accepted = written.rows_accepted;
            rows_rejected = written.rows_rejected;
        } else {
            // The file fails as a whole, as one failed by the first pass:
            // no row was ingested, none was rejected one by one.
            quarantine.discard()?;
        }
        if within_budget && rows_accepted == 0 {
            let message = if written.rows_rejected_budgeted > 0 {
                "every row was rejected (see the problems listed and the rejected rows)"
            } else if written.rows_breaking_types > 0 {
                "every row was rejected: each has no readable time or a value that does not fit column_types"
            } else {
                "every row was rejected: none has a readable time"
            };
            profiled
                .problems
                .error("no_valid_rows", message.into(), None, None);
        }
    }
    let report = ValidationReport {
        format: options.format,
        delimiter: delimiter.map(|d| char::from(d).to_string()),
        rows_in: profiled.rows_in,
        rows_accepted,
        rows_rejected,
        columns: profiled.column_profiles(),
        timestamp: profiled.timestamp_info(),
        problems: profiled.problems.listed,
        problems_not_listed: profiled.problems.not_listed,
        encoding: text.as_ref().map(|t| t.encoding.clone()),
        compression: text.as_ref().and_then(source::text::TextInfo::compression),
        sheets,
    };
    Ok((report, read_again))
}

fn unreadable_report(options: &Options, failure: source::ReadFailure) -> ValidationReport {
    ValidationReport {
        format: options.format,
        delimiter: None,
        rows_in: 0,
        rows_accepted: 0,
        rows_rejected: 0,
        columns: Vec::new(),
        timestamp: ingest_domain::TimestampInfo {
            column: None,
            format: None,
            min: None,
            max: None,
            source: ingest_domain::TimestampSource::UploadTime,
        },
        problems: vec![ingest_domain::Problem {
            severity: Severity::Error,
            code: failure.code.to_owned(),
            message: failure.message,
            line: failure.line,
            column: None,
        }],
        problems_not_listed: 0,
        encoding: None,
        compression: None,
        sheets: Vec::new(),
    }
}
