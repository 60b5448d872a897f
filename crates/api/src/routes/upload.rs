//! `POST /api/ingest/upload`: the file part streams into the object store
//! as it arrives (hashed and measured on the way); the task row is written
//! once the object is durable; only then does the client get 202.

use std::str::FromStr;

use axum::{
    extract::{multipart::Field, multipart::MultipartError, Multipart, State},
    http::StatusCode,
    Json,
};
use bytes::Bytes;
use chrono::{DateTime, Utc};
use ingest_domain::{
    DatasourceName, FileFormat, IngestMode, ReplaceConsent, StoredUpload, Task, TaskId, TaskStatus,
};
use ingest_validation::{detect_format, DetectError, SNIFF_LEN};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};
use tracing::{info, instrument, warn};
use utoipa::ToSchema;

use super::idempotency;
use crate::{
    auth::Caller,
    error::ApiError,
    http_limits::{BodyIdle, DiskRoom, ServerStopping, UploadPermit},
    state::AppState,
};

/// Longest accepted text part (datasource name, mode, …).
const MAX_TEXT_PART: usize = 4096;

#[derive(Serialize, ToSchema)]
pub struct UploadAccepted {
    #[schema(value_type = String, format = Uuid)]
    task_id: TaskId,
    /// `queued` for a new upload; for a retry with the same
    /// `Idempotency-Key` (answered 200), the original task's status now.
    status: TaskStatus,
    /// Where to follow the task.
    status_url: String,
}

/// The form an upload sends (multipart/form-data).
#[allow(dead_code)] // describes the request for OpenAPI only
#[derive(ToSchema)]
pub struct UploadForm {
    /// The file: CSV (`,` `;` tab `|`), XLSX (first sheet), Parquet or NDJSON.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// Letters, digits, `_` and `-`, starting with a letter; at most 128.
    datasource_name: String,
    /// `append` (default) or `replace`. A replace drops the datasource's rows
    /// in the time chunks the file covers (whole UTC days; months when the
    /// file spans over 92 days, years over five years) and adds the file's;
    /// rows outside stay. When it would drop rows, it waits in
    /// `awaiting_confirmation`, with its effect (`replace_effect`), until
    /// `POST /api/ingest/tasks/{id}/confirm`.
    mode: Option<IngestMode>,
    /// `true`: a replace goes ahead without waiting for a confirmation
    /// (the caller agrees to whatever it drops). Ignored for an append.
    confirm: Option<bool>,
    /// The column holding row times; detected when omitted.
    timestamp_column: Option<String>,
    /// Expected format; the content must match it.
    format: Option<FileFormat>,
    /// CSV/NDJSON: the text encoding (e.g. `windows-1252`, `utf-16le`,
    /// `iso-8859-15`); detected when omitted (byte order mark, valid UTF-8,
    /// or a confident guess; `ambiguous_encoding` otherwise).
    encoding: Option<String>,
    /// XLSX: the sheet to ingest, by name or 1-based number; the first
    /// non-empty sheet when omitted. The report lists every sheet.
    sheet: Option<String>,
}

/// The stored file, before it has a task.
struct StoredFile {
    key: String,
    file_name: String,
    size: u64,
    sha256: String,
    format: FileFormat,
}

#[derive(Default)]
struct FormFields {
    datasource: Option<DatasourceName>,
    mode: Option<IngestMode>,
    timestamp_column: Option<String>,
    format: Option<FileFormat>,
    encoding: Option<&'static str>,
    sheet: Option<String>,
    confirm: bool,
}

fn multipart_error(error: MultipartError, limit: u64) -> ApiError {
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

async fn text_part(field: Field<'_>, limit: u64) -> Result<String, ApiError> {
    let name = field.name().unwrap_or_default().to_owned();
    let mut field = field;
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

fn parse_field<T: FromStr<Err = ingest_domain::UnknownValue>>(raw: &str) -> Result<T, ApiError> {
    raw.parse::<T>().map_err(|e| {
        ApiError::unprocessable("invalid_field", e.to_string())
            .with_details(json!({ "field": e.field, "value": e.value }))
    })
}

/// Keeps the base name and characters safe in object keys and paths.
fn safe_file_name(raw: Option<&str>) -> String {
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

/// Upload a file for validation and ingestion.
#[utoipa::path(
    post,
    path = "/api/ingest/upload",
    tag = "ingest",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key with the same content returns the original task (200) instead of a second copy; at most 255 characters, e.g. a UUID per upload")),
    responses(
        (status = 200, description = "A retry with the same `Idempotency-Key` and the same content (file, datasource, mode): the original task; nothing new is kept", body = UploadAccepted),
        (status = 202, description = "Stored durably and queued", body = UploadAccepted),
        (status = 400, description = "Malformed request or missing part", body = crate::error::ErrorBody),
        (status = 413, description = "File larger than INGEST_MAX_UPLOAD_BYTES; nothing kept", body = crate::error::ErrorBody),
        (status = 415, description = "Unsupported file type, or content that does not match its name", body = crate::error::ErrorBody),
        (status = 408, description = "The client sent nothing for INGEST_UPLOAD_IDLE_TIMEOUT_SECS; nothing kept", body = crate::error::ErrorBody),
        (status = 409, description = "`idempotency_key_in_use`: an upload with this `Idempotency-Key` is still arriving", body = crate::error::ErrorBody),
        (status = 422, description = "Invalid datasource name or field, an empty file, or `idempotency_key_reused` (the key was sent with other content)", body = crate::error::ErrorBody),
        (status = 429, description = "INGEST_MAX_CONCURRENT_UPLOADS uploads already in progress; see Retry-After", body = crate::error::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "A backend is down, or `shutting_down`: the server's shutdown grace period (INGEST_SHUTDOWN_GRACE_SECS) ran out while the file arrived; nothing kept", body = crate::error::ErrorBody),
        (status = 507, description = "Local store: less free disk than the upload plus INGEST_MIN_FREE_DISK_BYTES; nothing kept", body = crate::error::ErrorBody)
    )
)]
#[instrument(skip_all, fields(task_id = tracing::field::Empty))]
pub async fn upload(
    State(state): State<AppState>,
    caller: Caller,
    _slot: UploadPermit,
    _room: DiskRoom,
    headers: axum::http::HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<UploadAccepted>), ApiError> {
    let started = Utc::now();
    let key = idempotency::reserve(&state, &headers).await?;
    let mut multipart = multipart.map_err(|e| {
        ApiError::bad_request(
            "not_multipart",
            format!("expected a multipart/form-data upload: {}", e.body_text()),
        )
    })?;
    let task_id = TaskId::new();
    tracing::Span::current().record("task_id", tracing::field::display(task_id));
    let mut fields = FormFields::default();
    let mut stored: Option<StoredFile> = None;

    let outcome = async {
        while let Some(field) = multipart
            .next_field()
            .await
            .map_err(|e| multipart_error(e, state.max_upload_bytes))?
        {
            match field.name().unwrap_or_default() {
                "file" if stored.is_some() => {
                    return Err(ApiError::bad_request(
                        "too_many_files",
                        "send one file per upload",
                    ));
                }
                "file" => stored = Some(receive_file(&state, task_id, field, fields.format).await?),
                "datasource_name" => {
                    let raw = text_part(field, state.max_upload_bytes).await?;
                    let name = DatasourceName::parse(raw.trim()).map_err(|e| {
                        ApiError::unprocessable("invalid_datasource_name", e.to_string())
                            .with_details(json!({ "field": "datasource_name", "value": raw }))
                    })?;
                    fields.datasource = Some(name);
                }
                "mode" => {
                    fields.mode = Some(parse_field(
                        &text_part(field, state.max_upload_bytes).await?,
                    )?)
                }
                "format" => {
                    fields.format = Some(parse_field(
                        &text_part(field, state.max_upload_bytes).await?,
                    )?)
                }
                "confirm" => {
                    let raw = text_part(field, state.max_upload_bytes).await?;
                    fields.confirm = parse_confirm(raw.trim())?;
                }
                "timestamp_column" => {
                    let column = text_part(field, state.max_upload_bytes).await?;
                    fields.timestamp_column =
                        Some(column.trim().to_owned()).filter(|c| !c.is_empty());
                }
                "encoding" => {
                    let raw = text_part(field, state.max_upload_bytes).await?;
                    let name = ingest_validation::encoding_name(&raw).ok_or_else(|| {
                        ApiError::unprocessable(
                            "invalid_field",
                            format!("{:?} is not an encoding we know (e.g. utf-8, windows-1252, utf-16le)", raw.trim()),
                        )
                        .with_details(json!({ "field": "encoding", "value": raw }))
                    })?;
                    fields.encoding = Some(name);
                }
                "sheet" => {
                    let sheet = text_part(field, state.max_upload_bytes).await?;
                    fields.sheet = Some(sheet.trim().to_owned()).filter(|s| !s.is_empty());
                }
                _ => {} // unknown parts are ignored, as browsers add their own
            }
        }
        let file = stored.as_ref().ok_or_else(|| {
            ApiError::bad_request("missing_file", "the upload has no `file` part")
                .with_details(json!({ "field": "file" }))
        })?;
        if let Some(declared) = fields.format.filter(|d| *d != file.format) {
            return Err(ApiError::unsupported(format!(
                "the upload declares format {declared} but the file's content is {}",
                file.format
            )));
        }
        let datasource = fields.datasource.clone().ok_or_else(|| {
            ApiError::bad_request("missing_field", "the upload has no `datasource_name` part")
                .with_details(json!({ "field": "datasource_name" }))
        })?;
        let mut task = new_task(task_id, datasource, file, &fields, started);
        task.created_by = caller.actor().map(str::to_owned);
        task.encoding = fields.encoding.map(str::to_owned);
        task.sheet = fields.sheet.clone();
        if fields.confirm && task.mode == IngestMode::Replace {
            task.replace_consent = Some(ReplaceConsent::Upfront);
        }
        state.faults.hit("after_store"); // test aid: object stored, no task row yet
        let original = idempotency::record(&state, &key, &task).await?;
        Ok((task, original))
    }
    .await;

    match outcome {
        Ok((task, Some(original))) => {
            // A retry: the original task stands; this copy is not kept.
            ingest_pipeline::metrics::upload_repeated(task.size_bytes);
            if let Err(e) = state.objects.delete(&task.object_key).await {
                warn!(key = %task.object_key, error = %e, "could not remove the object of a repeated upload");
            }
            let status = state
                .tasks
                .get(original)
                .await?
                .map_or(TaskStatus::Queued, |t| t.status());
            info!(%original, "repeated upload answered with its original task");
            Ok((
                StatusCode::OK,
                Json(UploadAccepted {
                    task_id: original,
                    status,
                    status_url: format!("/api/ingest/status/{original}"),
                }),
            ))
        }
        Ok((task, None)) => {
            info!(datasource = %task.datasource, size = task.size_bytes, format = %task.format, "upload accepted");
            ingest_pipeline::metrics::upload_accepted(&task);
            state.pipeline.notify_queued();
            Ok((
                StatusCode::ACCEPTED,
                Json(UploadAccepted {
                    task_id,
                    status: TaskStatus::Queued,
                    status_url: format!("/api/ingest/status/{task_id}"),
                }),
            ))
        }
        Err(error) => {
            idempotency::forget(&state, &key).await;
            ingest_pipeline::metrics::upload_rejected(stored.as_ref().map_or(0, |f| f.size));
            // Nothing is kept for a rejected upload.
            if let Some(file) = stored {
                if let Err(e) = state.objects.delete(&file.key).await {
                    warn!(key = %file.key, error = %e, "could not remove the object of a rejected upload");
                }
            }
            Err(error)
        }
    }
}

fn parse_confirm(raw: &str) -> Result<bool, ApiError> {
    match raw {
        "true" => Ok(true),
        "false" | "" => Ok(false),
        _ => Err(
            ApiError::unprocessable("invalid_field", "confirm must be true or false")
                .with_details(json!({ "field": "confirm", "value": raw })),
        ),
    }
}

fn new_task(
    task_id: TaskId,
    datasource: DatasourceName,
    file: &StoredFile,
    fields: &FormFields,
    started: DateTime<Utc>,
) -> Task {
    let upload = StoredUpload {
        task_id,
        datasource,
        file_name: file.file_name.clone(),
        object_key: file.key.clone(),
        size_bytes: file.size,
        sha256: file.sha256.clone(),
        format: file.format,
        mode: fields.mode.unwrap_or_default(),
        timestamp_column: fields.timestamp_column.clone(),
    };
    Task::queued(upload, started, Utc::now())
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

    // Enough of the start to recognise the format before storing anything.
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
    let format = detect_format(&sniff, &file_name, declared).map_err(|e| match e {
        DetectError::Empty => ApiError::unprocessable("empty_file", "the file is empty (0 bytes)")
            .with_details(json!({ "field": "file", "file_name": file_name })),
        other => ApiError::unsupported(other.to_string())
            .with_details(json!({ "field": "file", "file_name": file_name })),
    })?;

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

#[cfg(test)]
mod tests {
    use super::safe_file_name;

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
}
