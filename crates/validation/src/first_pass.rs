//! The first pass over a file, shared by `validate` and `preview` so both
//! read a file the same way: the uploader's type choices, the source opened
//! unchecked, the profile, and the rejected-row budget settled.

use std::path::Path;

use ingest_domain::Sheet;

use crate::profile::{self, Profile};
use crate::source::{self, text::TextInfo, OpenError, ReadFailure, SourceSpec};
use crate::{steering, Control, Options, Pass, ValidationError};

/// What the first pass learned.
pub(crate) struct FirstPass {
    pub profiled: Profile,
    /// The file's size in bytes, for progress.
    pub size: u64,
    /// A second read must split lines exactly as this one did.
    pub delimiter: Option<u8>,
    pub text: Option<TextInfo>,
    pub sheets: Vec<Sheet>,
}

/// Reads the file at `path` once. `Ok(Err(failure))`: the file cannot be
/// read at all (the caller reports why); `Err`: I/O or cancellation.
pub(crate) fn first_pass(
    path: &Path,
    options: &Options,
    control: &Control,
) -> Result<Result<FirstPass, ReadFailure>, ValidationError> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    control.start_pass(Pass::Profiling, size);
    let steering = match steering(options) {
        Ok(steering) => steering,
        Err(failure) => return Ok(Err(failure)),
    };
    let spec = SourceSpec {
        format: options.format,
        delimiter: options.delimiter,
        encoding: options.encoding.as_deref(),
        sheet: options.sheet.as_deref(),
        checked: false,
    };
    let mut source = match source::open(path, spec, control) {
        Ok(source) => source,
        Err(OpenError::Io(error)) => return Err(error),
        Err(OpenError::Content(failure)) => return Ok(Err(failure)),
    };
    let delimiter = source.delimiter();
    let mut profiled = profile::profile(
        source.as_mut(),
        options.timestamp_column.as_deref(),
        options.fallback_time,
        &steering,
        control,
        control.parallelism().threads_for(size),
    );
    let text = source.text_info().cloned();
    let sheets = source.sheets().to_vec();
    drop(source);
    // Unreadable rows beyond the budget are the file's errors.
    std::mem::take(&mut profiled.budgeted).settle(
        &options.rejected_rows.budget,
        profiled.rows_in,
        &mut profiled.problems,
    );
    if control.is_cancelled() {
        return Err(ValidationError::Cancelled);
    }
    Ok(Ok(FirstPass {
        profiled,
        size,
        delimiter,
        text,
        sheets,
    }))
}
