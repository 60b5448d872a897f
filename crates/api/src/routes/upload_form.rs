//! The upload's multipart form, parsed by our own extractor: the file part
//! streams into the object store as it arrives (hashed and measured on the
//! way, never buffered whole), the text parts become typed fields, and
//! parts the form does not know are kept as warnings instead of vanishing.
//! Every rejection uses our error shape; a rejected form leaves no object.
//!
//! Adding a text field: a member of `UploadFields`, one line in
//! `UploadFields::slot`, and (for a type not yet listed) a `FormValue` impl.

use std::{collections::BTreeMap, str::FromStr};

use axum::{
    extract::{
        multipart::{Field, MultipartError},
        FromRequest, Multipart, Request,
    },
    http::StatusCode,
};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use ingest_domain::{
    parse_column_types, ColumnType, DatasourceName, FileFormat, IngestMode, OnSchemaChange,
    RejectionBudget, ReplaceConsent, StoredUpload, Task, TaskId, UnknownValue, Warning,
};
use ingest_validation::{detect_format, DetectError, SNIFF_LEN};
use serde_json::json;
use sha2::{Digest, Sha256};
use tracing::warn;

use crate::{
    error::ApiError,
    http_limits::{BodyIdle, ServerStopping},
    state::AppState,
};

/// Longest accepted text part (datasource name, mode, …).
const MAX_TEXT_PART: usize = 4096;
/// The part that carries the file.
const FILE_PART: &str = "file";

/// The text fields of an upload, each `None` until its part arrives (a
/// repeated part: the last one wins).
#[derive(Debug, Default)]
pub struct UploadFields {
    pub datasource: Option<DatasourceName>,
    pub mode: Option<IngestMode>,
    pub timestamp_column: Option<String>,
    pub format: Option<FileFormat>,
    /// CSV/NDJSON: the text encoding, overriding detection.
    pub encoding: Option<Encoding>,
    /// XLSX: the sheet, by name or 1-based number.
    pub sheet: Option<String>,
    /// `true`: a replace goes ahead without waiting for a confirmation.
    pub confirm: Option<bool>,
    /// Column types overriding inference (`{"zip":"string"}`).
    pub column_types: Option<ColumnTypes>,
    /// How the time column's values are written.
    pub timestamp_format: Option<TimestampFormat>,
    /// Ragged, undecodable or mistyped rows the file may lose (rejected one
    /// by one) before it fails instead.
    pub max_rejected_rows: Option<u64>,
    /// The same as a share of the data rows, 0 to 1.
    pub max_rejected_ratio: Option<RejectedRatio>,
    /// `fail`: a schema that differs from the datasource's fails the task.
    pub on_schema_change: Option<OnSchemaChange>,
}

impl UploadFields {
    /// Where the part called `name` goes; `None` for a part the form does
    /// not know (it is skipped unread and reported as a warning).
    fn slot(&mut self, name: &str) -> Option<&mut dyn Slot> {
        Some(match name {
            "datasource_name" => &mut self.datasource,
            "mode" => &mut self.mode,
            "timestamp_column" => &mut self.timestamp_column,
            "format" => &mut self.format,
            "encoding" => &mut self.encoding,
            "sheet" => &mut self.sheet,
            "confirm" => &mut self.confirm,
            "column_types" => &mut self.column_types,
            "timestamp_format" => &mut self.timestamp_format,
            "max_rejected_rows" => &mut self.max_rejected_rows,
            "max_rejected_ratio" => &mut self.max_rejected_ratio,
            "on_schema_change" => &mut self.on_schema_change,
            _ => return None,
        })
    }
}

/// A value a text part parses into. `None` leaves the field unset (an
/// empty optional value).
pub trait FormValue: Sized + Send {
    fn from_part(field: &str, raw: &str) -> Result<Option<Self>, ApiError>;
}

impl FormValue for DatasourceName {
    fn from_part(field: &str, raw: &str) -> Result<Option<Self>, ApiError> {
        Self::parse(raw.trim()).map(Some).map_err(|e| {
            ApiError::unprocessable("invalid_datasource_name", e.to_string())
                .with_details(json!({ "field": field, "value": raw }))
        })
    }
}

/// Free text, trimmed; empty means "not given".
impl FormValue for String {
    fn from_part(_: &str, raw: &str) -> Result<Option<Self>, ApiError> {
        Ok(Some(raw.trim().to_owned()).filter(|v| !v.is_empty()))
    }
}

/// `true` or `false`; empty means "not given".
impl FormValue for bool {
    fn from_part(field: &str, raw: &str) -> Result<Option<Self>, ApiError> {
        match raw.trim() {
            "true" => Ok(Some(true)),
            "false" => Ok(Some(false)),
            "" => Ok(None),
            other => Err(ApiError::unprocessable(
                "invalid_field",
                format!("{field} must be true or false"),
            )
            .with_details(json!({ "field": field, "value": other }))),
        }
    }
}

/// A count such as `10`; empty means "not given".
impl FormValue for u64 {
    fn from_part(field: &str, raw: &str) -> Result<Option<Self>, ApiError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        raw.parse().map(Some).map_err(|_| {
            ApiError::unprocessable(
                "invalid_field",
                format!("{field} must be a whole number of 0 or more"),
            )
            .with_details(json!({ "field": field, "value": raw }))
        })
    }
}

/// A share of the rows, from 0 to 1 (`0.01` is one row in a hundred).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RejectedRatio(pub f64);

impl FormValue for RejectedRatio {
    fn from_part(field: &str, raw: &str) -> Result<Option<Self>, ApiError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Ok(None);
        }
        match raw.parse::<f64>() {
            Ok(ratio) if (0.0..=1.0).contains(&ratio) => Ok(Some(Self(ratio))),
            _ => Err(ApiError::unprocessable(
                "invalid_field",
                format!(
                    "{field} must be a number from 0 to 1 (e.g. 0.01 for one row in a hundred)"
                ),
            )
            .with_details(json!({ "field": field, "value": raw }))),
        }
    }
}

/// A text encoding we can decode, by its canonical name (`windows-1252`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encoding(pub &'static str);

impl FormValue for Encoding {
    fn from_part(field: &str, raw: &str) -> Result<Option<Self>, ApiError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let name = ingest_validation::encoding_name(raw).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_field",
                format!(
                    "{:?} is not an encoding we know (e.g. utf-8, windows-1252, utf-16le)",
                    raw.trim()
                ),
            )
            .with_details(json!({ "field": field, "value": raw }))
        })?;
        Ok(Some(Self(name)))
    }
}

/// `column_types`: a JSON object of column names to types; the names are
/// checked against the file's columns when it is validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnTypes(pub BTreeMap<String, ColumnType>);

impl FormValue for ColumnTypes {
    fn from_part(field: &str, raw: &str) -> Result<Option<Self>, ApiError> {
        let types = parse_column_types(raw).map_err(|e| {
            ApiError::unprocessable("invalid_field", e.to_string()).with_details(
                json!({ "field": field, "column": e.column(), "hint": COLUMN_TYPES_HINT }),
            )
        })?;
        Ok(Some(Self(types)).filter(|t| !t.0.is_empty()))
    }
}

const COLUMN_TYPES_HINT: &str = "Send a JSON object such as {\"zip\":\"string\",\"amount\":\"double\"}; types: string, long, double, boolean.";

/// `timestamp_format`: a strftime pattern giving at least a date, or
/// `rfc3339`, `epoch_seconds`, `epoch_millis`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimestampFormat(pub String);

impl FormValue for TimestampFormat {
    fn from_part(field: &str, raw: &str) -> Result<Option<Self>, ApiError> {
        let text = raw.trim();
        if text.is_empty() {
            return Ok(None);
        }
        ingest_validation::check_timestamp_format(text).map_err(|message| {
            ApiError::unprocessable("invalid_field", message).with_details(json!({
                "field": field,
                "value": text,
                "hint": "Use chrono strftime fields, e.g. %Y-%m-%d %H:%M:%S or %d/%m/%Y, or one of rfc3339, epoch_seconds, epoch_millis."
            }))
        })?;
        Ok(Some(Self(text.to_owned())))
    }
}

/// Domain values named by a word (`append`, `csv`): an unknown word is
/// `422 invalid_field` naming the accepted ones.
macro_rules! named_values {
    ($($ty:ty),*) => {$(
        impl FormValue for $ty {
            fn from_part(_: &str, raw: &str) -> Result<Option<Self>, ApiError> {
                named_value(raw).map(Some)
            }
        }
    )*};
}
named_values!(IngestMode, FileFormat, OnSchemaChange);

fn named_value<T: FromStr<Err = UnknownValue>>(raw: &str) -> Result<T, ApiError> {
    raw.parse::<T>().map_err(|e| {
        ApiError::unprocessable("invalid_field", e.to_string())
            .with_details(json!({ "field": e.field, "value": e.value }))
    })
}

/// A field of `UploadFields`, whatever its type.
trait Slot: Send {
    fn fill(&mut self, field: &str, raw: &str) -> Result<(), ApiError>;
}

impl<T: FormValue> Slot for Option<T> {
    fn fill(&mut self, field: &str, raw: &str) -> Result<(), ApiError> {
        *self = T::from_part(field, raw)?;
        Ok(())
    }
}

/// The stored file, before it has a task.
#[derive(Debug)]
pub struct StoredFile {
    pub key: String,
    pub file_name: String,
    pub size: u64,
    pub sha256: String,
    pub format: FileFormat,
}

/// A complete, valid upload form whose file is already stored.
#[derive(Debug)]
pub struct UploadForm {
    pub task_id: TaskId,
    /// When the request began to arrive (the upload stage's start).
    pub started: DateTime<Utc>,
    pub datasource: DatasourceName,
    pub file: StoredFile,
    pub fields: UploadFields,
    /// Parts the form does not know, one warning each.
    pub warnings: Vec<Warning>,
}

impl UploadForm {
    /// The queued task this upload becomes.
    pub fn task(&self) -> Task {
        let upload = StoredUpload {
            task_id: self.task_id,
            datasource: self.datasource.clone(),
            file_name: self.file.file_name.clone(),
            object_key: self.file.key.clone(),
            size_bytes: self.file.size,
            sha256: self.file.sha256.clone(),
            format: self.file.format,
            mode: self.fields.mode.unwrap_or_default(),
            timestamp_column: self.fields.timestamp_column.clone(),
        };
        let mut task = Task::queued(upload, self.started, Utc::now());
        task.encoding = self.fields.encoding.map(|e| e.0.to_owned());
        task.sheet = self.fields.sheet.clone();
        task.column_types = self
            .fields
            .column_types
            .as_ref()
            .map(|t| t.0.clone())
            .unwrap_or_default();
        task.timestamp_format = self.fields.timestamp_format.as_ref().map(|f| f.0.clone());
        task.rejection_budget = RejectionBudget {
            max_rows: self.fields.max_rejected_rows,
            max_ratio: self.fields.max_rejected_ratio.map(|r| r.0),
        };
        task.on_schema_change = self.fields.on_schema_change.unwrap_or_default();
        if self.fields.confirm == Some(true) && task.mode == IngestMode::Replace {
            task.replace_consent = Some(ReplaceConsent::Upfront);
        }
        task
    }

    /// Removes the stored file (the upload was refused or is a repeat).
    pub async fn discard(self, state: &AppState) {
        discard(state, Some(self.file)).await;
    }
}

async fn discard<F: ReceivedFile>(state: &AppState, file: Option<F>) {
    if let Some(file) = file {
        file.discard(state).await;
    }
}

/// Where a form's file part goes: the object store for an upload
/// (`StoredFile`), a scratch file for a preview (`preview_form`).
pub trait ReceivedFile: Sized + Send {
    /// Receives the file part; on error, nothing of it is left behind.
    fn receive(
        state: &AppState,
        task_id: TaskId,
        field: Field<'_>,
        declared: Option<FileFormat>,
    ) -> impl std::future::Future<Output = Result<Self, ApiError>> + Send;
    /// Removes what `receive` kept (the form was refused).
    fn discard(self, state: &AppState) -> impl std::future::Future<Output = ()> + Send;
    /// The format its content was recognised as.
    fn format(&self) -> FileFormat;
}

impl ReceivedFile for StoredFile {
    async fn receive(
        state: &AppState,
        task_id: TaskId,
        field: Field<'_>,
        declared: Option<FileFormat>,
    ) -> Result<Self, ApiError> {
        receive_file(state, task_id, field, declared).await
    }

    async fn discard(self, state: &AppState) {
        if let Err(e) = state.objects.delete(&self.key).await {
            warn!(key = %self.key, error = %e, "could not remove the object of a refused upload");
        }
    }

    fn format(&self) -> FileFormat {
        self.format
    }
}

/// Reads a whole form, its file going where `F` puts it, and checks it with
/// `check`; a refused form leaves nothing of its file.
pub(super) async fn read_form<F: ReceivedFile, T>(
    request: Request,
    state: &AppState,
    task_id: TaskId,
    check: impl FnOnce(&Parts<F>) -> Result<T, ApiError> + Send,
) -> Result<(T, Parts<F>, F), ApiError> {
    let mut multipart = Multipart::from_request(request, state).await.map_err(|e| {
        ApiError::bad_request(
            "not_multipart",
            format!("expected a multipart/form-data upload: {}", e.body_text()),
        )
    })?;
    let mut parts = Parts::<F>::default();
    let outcome = match parts.read(&mut multipart, state, task_id).await {
        Ok(()) => check(&parts),
        Err(error) => Err(error),
    };
    match (outcome, parts.file.take()) {
        (Ok(checked), Some(file)) => {
            let format = file.format();
            parts
                .warnings
                .extend(fields_not_applying(&parts.fields, format));
            Ok((checked, parts, file))
        }
        (outcome, file) => {
            // Nothing is kept for a refused form.
            discard(state, file).await;
            Err(outcome.err().unwrap_or_else(missing_file))
        }
    }
}

impl FromRequest<AppState> for UploadForm {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let started = Utc::now();
        let task_id = TaskId::new();
        let (datasource, parts, file) =
            read_form::<StoredFile, _>(request, state, task_id, Parts::check).await?;
        Ok(Self {
            task_id,
            started,
            datasource,
            file,
            fields: parts.fields,
            warnings: parts.warnings,
        })
    }
}

/// What has arrived so far.
pub(super) struct Parts<F> {
    pub fields: UploadFields,
    file: Option<F>,
    pub warnings: Vec<Warning>,
}

impl<F> Default for Parts<F> {
    fn default() -> Self {
        Self {
            fields: UploadFields::default(),
            file: None,
            warnings: Vec::new(),
        }
    }
}

impl<F: ReceivedFile> Parts<F> {
    async fn read(
        &mut self,
        multipart: &mut Multipart,
        state: &AppState,
        task_id: TaskId,
    ) -> Result<(), ApiError> {
        let limit = state.max_upload_bytes;
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| multipart_error(e, limit))?
        {
            let name = field.name().unwrap_or_default().to_owned();
            if name == FILE_PART {
                if self.file.is_some() {
                    return Err(ApiError::bad_request(
                        "too_many_files",
                        "send one file per upload",
                    ));
                }
                let declared = self.fields.format;
                self.file = Some(F::receive(state, task_id, field, declared).await?);
            } else if self.fields.slot(&name).is_some() {
                let raw = text_part(field, limit).await?;
                if let Some(slot) = self.fields.slot(&name) {
                    slot.fill(&name, &raw)?;
                }
            } else {
                self.warnings.push(unknown_part(&name));
            }
        }
        Ok(())
    }

    /// Checks the form is complete and consistent; returns its datasource.
    fn check(&self) -> Result<DatasourceName, ApiError> {
        self.check_file()?;
        self.fields.datasource.clone().ok_or_else(|| {
            ApiError::bad_request("missing_field", "the upload has no `datasource_name` part")
                .with_details(json!({ "field": "datasource_name" }))
        })
    }
}

impl<F: ReceivedFile> Parts<F> {
    /// Checks the file arrived and is of the format the form declares.
    pub(super) fn check_file(&self) -> Result<(), ApiError> {
        let file = self.file.as_ref().ok_or_else(missing_file)?;
        if let Some(declared) = self.fields.format.filter(|d| *d != file.format()) {
            return Err(ApiError::unsupported(format!(
                "the upload declares format {declared} but the file's content is {}",
                file.format()
            )));
        }
        Ok(())
    }
}

fn missing_file() -> ApiError {
    ApiError::bad_request("missing_file", "the upload has no `file` part")
        .with_details(json!({ "field": FILE_PART }))
}

/// A part the form does not know: most likely a typo in a field name.
fn unknown_part(name: &str) -> Warning {
    Warning::new(
        "unknown_field",
        format!("the upload's `{name}` part is not a field this server knows; it was ignored"),
        json!({ "field": name, "hint": "Check the field's spelling; /api/docs lists the upload's fields." }),
    )
}

/// Fields given that mean nothing for a file of `format`: ignored, but said
/// (an `encoding` for a workbook is a mistake worth seeing, not silence).
fn fields_not_applying(fields: &UploadFields, format: FileFormat) -> Vec<Warning> {
    let text = matches!(format, FileFormat::Csv | FileFormat::Ndjson);
    let kind = format.to_string().to_uppercase();
    let mut warnings = Vec::new();
    if let Some(encoding) = fields.encoding.filter(|_| !text) {
        warnings.push(Warning::new(
            "field_not_used",
            format!("the `encoding` field ({}) applies to text files (CSV, TSV, NDJSON); this file is {kind}, which records its own encoding, so it was ignored", encoding.0),
            json!({ "field": "encoding", "format": format, "hint": "Leave `encoding` out for XLSX and Parquet files." }),
        ));
    }
    if fields.sheet.is_some() && format != FileFormat::Xlsx {
        warnings.push(Warning::new(
            "field_not_used",
            format!("the `sheet` field applies to XLSX workbooks; this file is {kind}, which has no sheets, so it was ignored"),
            json!({ "field": "sheet", "format": format, "hint": "Leave `sheet` out for files other than XLSX." }),
        ));
    }
    warnings
}

pub(super) fn multipart_error(error: MultipartError, limit: u64) -> ApiError {
    if let Some(idle) = BodyIdle::find(&error) {
        ApiError::upload_idle(idle.0)
    } else if ServerStopping::is_cause_of(&error) {
        ApiError::shutting_down()
    } else if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::too_large(limit)
    } else {
        ApiError::bad_request(
            "malformed_multipart",
            format!("the upload could not be read: {}", error.body_text()),
        )
    }
}

async fn text_part(mut field: Field<'_>, limit: u64) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut bytes = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(|e| multipart_error(e, limit))? {
        bytes.extend_from_slice(&chunk);
        if bytes.len() > MAX_TEXT_PART {
            return Err(ApiError::bad_request(
                "part_too_long",
                format!("the {name} part is longer than {MAX_TEXT_PART} bytes"),
            )
            .with_details(json!({ "field": name })));
        }
    }
    String::from_utf8(bytes).map_err(|_| {
        ApiError::bad_request("invalid_text", format!("the {name} part is not UTF-8 text"))
            .with_details(json!({ "field": name }))
    })
}

/// Keeps the base name and characters safe in object keys and paths.
pub(super) fn safe_file_name(raw: Option<&str>) -> String {
    let base = raw
        .unwrap_or_default()
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or_default();
    let cleaned: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .take(200)
        .collect();
    let cleaned = cleaned.trim_start_matches('.');
    if cleaned.is_empty() {
        "upload".into()
    } else {
        cleaned.to_owned()
    }
}

/// Streams the file part into the object store. On any error the partial
/// upload is aborted, so nothing is left behind.
async fn receive_file(
    state: &AppState,
    task_id: TaskId,
    mut field: Field<'_>,
    declared: Option<FileFormat>,
) -> Result<StoredFile, ApiError> {
    let limit = state.max_upload_bytes;
    let file_name = safe_file_name(field.file_name());
    let (head, format) = sniff_format(&mut field, &file_name, declared, limit).await?;

    let key = format!("uploads/{task_id}/{file_name}");
    let mut sink = state.objects.begin_upload(&key).await?;
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    let mut pending = head.into_iter();
    let streamed = async {
        loop {
            let chunk = match pending.next() {
                Some(chunk) => chunk,
                None => match field.chunk().await.map_err(|e| multipart_error(e, limit))? {
                    Some(chunk) => chunk,
                    None => return Ok(()),
                },
            };
            size += chunk.len() as u64;
            if size > limit {
                return Err(ApiError::too_large(limit));
            }
            hasher.update(&chunk);
            sink.write(chunk).await?;
        }
    }
    .await;
    if let Err(error) = streamed {
        if let Err(e) = sink.abort().await {
            warn!(%key, error = %e, "could not abort a failed upload");
        }
        return Err(error);
    }
    sink.finish().await?;
    Ok(StoredFile {
        key,
        file_name,
        size,
        sha256: hex::encode(hasher.finalize()),
        format,
    })
}

/// Reads enough of the file part's start to recognise its format, before
/// anything is stored; returns those chunks and the format.
pub(super) async fn sniff_format(
    field: &mut Field<'_>,
    file_name: &str,
    declared: Option<FileFormat>,
    limit: u64,
) -> Result<(Vec<Bytes>, FileFormat), ApiError> {
    let mut head: Vec<Bytes> = Vec::new();
    let mut head_len = 0;
    while head_len < SNIFF_LEN {
        match field.chunk().await.map_err(|e| multipart_error(e, limit))? {
            Some(chunk) => {
                head_len += chunk.len();
                head.push(chunk);
            }
            None => break,
        }
    }
    let sniff: Vec<u8> = head
        .iter()
        .flat_map(|c| c.iter().copied())
        .take(SNIFF_LEN)
        .collect();
    let format = detect_format(&sniff, file_name, declared).map_err(|e| match e {
        DetectError::Empty => ApiError::unprocessable("empty_file", "the file is empty (0 bytes)")
            .with_details(json!({ "field": FILE_PART, "file_name": file_name })),
        other => ApiError::unsupported(other.to_string())
            .with_details(json!({ "field": FILE_PART, "file_name": file_name })),
    })?;
    Ok((head, format))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_cannot_escape_or_surprise() {
        assert_eq!(safe_file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(
            safe_file_name(Some("C:\\data\\sales 2024.csv")),
            "sales_2024.csv"
        );
        assert_eq!(safe_file_name(Some("..")), "upload");
        assert_eq!(safe_file_name(None), "upload");
        assert_eq!(safe_file_name(Some("données.csv")), "donn_es.csv");
    }

    #[test]
    fn known_parts_fill_their_field_and_unknown_ones_have_no_slot() {
        let mut fields = UploadFields::default();
        for (name, raw) in [
            ("datasource_name", " sales "),
            ("mode", "replace"),
            ("format", "csv"),
            ("timestamp_column", "  "),
        ] {
            let slot = fields.slot(name).expect("a known field");
            slot.fill(name, raw).expect("a valid value");
        }
        assert_eq!(
            fields.datasource.as_ref().map(|d| d.as_str()),
            Some("sales")
        );
        assert_eq!(fields.mode, Some(IngestMode::Replace));
        assert_eq!(fields.format, Some(FileFormat::Csv));
        assert_eq!(fields.timestamp_column, None, "blank means not given");
        assert!(fields.slot("datasource").is_none(), "a typo is unknown");

        for (name, raw) in [("max_rejected_rows", " 25 "), ("max_rejected_ratio", "0.5")] {
            let slot = fields.slot(name).expect("a known field");
            slot.fill(name, raw).expect("a valid value");
        }
        assert_eq!(fields.max_rejected_rows, Some(25));
        assert_eq!(fields.max_rejected_ratio, Some(RejectedRatio(0.5)));
        for (name, raw) in [
            ("max_rejected_rows", "-1"),
            ("max_rejected_rows", "lots"),
            ("max_rejected_ratio", "1.5"),
            ("max_rejected_ratio", "NaN"),
        ] {
            let slot = fields.slot(name).expect("a known field");
            let error = slot.fill(name, raw).expect_err("out of range");
            assert_eq!(error.code, "invalid_field", "{name}={raw}");
        }

        let slot = fields.slot("mode").expect("mode");
        let error = slot.fill("mode", "upsert").expect_err("not a mode");
        assert_eq!(
            (error.status, error.code),
            (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field")
        );
    }
}
