//! `POST /api/ingest/upload`: the form extractor (`upload_form`) streams
//! the file into the object store; the task row is written once the object
//! is durable; only then does the client get 202.

use axum::{extract::State, http::StatusCode, Json};
use ingest_domain::{FileFormat, IngestMode, OnSchemaChange, Task, TaskId, TaskStatus, Warning};
use serde::Serialize;
use tracing::{info, instrument};
use utoipa::ToSchema;

use super::{
    idempotency::{self, Reservation},
    upload_form::UploadForm,
};
use crate::{
    auth::Caller,
    error::ApiError,
    http_limits::{DiskRoom, UploadPermit},
    state::AppState,
};

#[derive(Serialize, ToSchema)]
pub struct UploadAccepted {
    #[schema(value_type = String, format = Uuid)]
    task_id: TaskId,
    /// `queued` for a new upload; for a retry with the same
    /// `Idempotency-Key` (answered 200), the original task's status now.
    status: TaskStatus,
    /// Where to follow the task.
    status_url: String,
    /// What did not stop the upload but deserves a look: `unknown_field`
    /// (a part this server ignored, e.g. a misspelt field), `duplicate_upload`
    /// (the same file was appended to this datasource before, without an
    /// `Idempotency-Key`; also kept in the task's `warnings`).
    warnings: Vec<Warning>,
}

impl UploadAccepted {
    fn new(task_id: TaskId, status: TaskStatus, warnings: Vec<Warning>) -> Self {
        Self {
            task_id,
            status,
            status_url: format!("/api/ingest/status/{task_id}"),
            warnings,
        }
    }
}

/// The form an upload sends (multipart/form-data). Parts with other names
/// are ignored and listed in the answer's `warnings`.
#[allow(dead_code)] // describes the request for OpenAPI only
#[derive(ToSchema)]
#[schema(as = UploadForm)]
pub struct UploadFormDoc {
    /// The file: CSV (`,` `;` tab `|`), XLSX (the `sheet` field, else the first non-empty sheet), Parquet or NDJSON; CSV/TSV/NDJSON may be gzip- or zstd-compressed.
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
    /// Column types instead of inferred ones: a JSON object of column
    /// names to `string`, `long`, `double` or `boolean`, e.g.
    /// `{"zip":"string","amount":"double"}`. A value that does not fit is
    /// counted in `max_rejected_rows` (`value_breaks_column_type`): by
    /// default it fails the task, within the budget its row alone is
    /// rejected; a name that is not a column of the file fails the task
    /// (`column_types_unknown_column`).
    column_types: Option<String>,
    /// How the time column's values are written: a chrono strftime pattern
    /// giving at least a date (`%d/%m/%Y %H:%M`, `%Y%m%d`; no offset field
    /// means UTC), or `rfc3339`, `epoch_seconds`, `epoch_millis`. Without
    /// `timestamp_column`, the column it reads is the time column.
    timestamp_format: Option<String>,
    /// Rows that cannot be read as they are (a wrong number of fields,
    /// bytes the encoding cannot decode, an NDJSON line that is not an
    /// object, a value that does not fit `column_types`) the file may lose: within it they are rejected one by one
    /// and the rest is ingested; beyond it the task fails
    /// (`too_many_rejected_rows`). Default 0: one such row fails the file.
    /// Rows without a readable time are rejected whatever this says.
    /// Every rejected row can be downloaded from
    /// `GET /api/ingest/tasks/{task_id}/rejected`.
    max_rejected_rows: Option<u64>,
    /// The same as a share of the data rows, 0 to 1 (`0.01`: one in a
    /// hundred); with both fields, both limits apply.
    max_rejected_ratio: Option<f64>,
    /// `allow` (default) or `fail`: whether a file whose schema differs from
    /// the datasource's (columns added or missing, a type or the time column
    /// changed; our validated types) is ingested, the differences reported
    /// in `schema_drift`, or fails as `schema_drift`.
    on_schema_change: Option<OnSchemaChange>,
}

/// Upload a file for validation and ingestion.
#[utoipa::path(
    post,
    path = "/api/ingest/upload",
    tag = "ingest",
    request_body(content = UploadFormDoc, content_type = "multipart/form-data"),
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
    key: Reservation,
    form: Result<UploadForm, ApiError>,
) -> Result<(StatusCode, Json<UploadAccepted>), ApiError> {
    let mut form = match form {
        Ok(form) => form,
        Err(error) => {
            idempotency::forget(&state, &key).await;
            ingest_pipeline::metrics::upload_rejected(0);
            return Err(error);
        }
    };
    tracing::Span::current().record("task_id", tracing::field::display(form.task_id));
    let mut task = form.task();
    task.created_by = caller.actor().map(str::to_owned);
    state.faults.hit("after_store"); // test aid: object stored, no task row yet
    match record(&state, &key, &mut task).await {
        Ok(None) => {
            info!(datasource = %task.datasource, size = task.size_bytes, format = %task.format, "upload accepted");
            ingest_pipeline::metrics::upload_accepted(&task);
            state.pipeline.notify_queued();
            let mut warnings = form.warnings;
            warnings.extend(task.warnings);
            let accepted = UploadAccepted::new(task.task_id, TaskStatus::Queued, warnings);
            Ok((StatusCode::ACCEPTED, Json(accepted)))
        }
        Ok(Some(original)) => {
            // A retry: the original task stands; this copy is not kept.
            ingest_pipeline::metrics::upload_repeated(task.size_bytes);
            let warnings = std::mem::take(&mut form.warnings);
            form.discard(&state).await;
            let status = state
                .tasks
                .get(original)
                .await?
                .map_or(TaskStatus::Queued, |t| t.status());
            info!(%original, "repeated upload answered with its original task");
            Ok((
                StatusCode::OK,
                Json(UploadAccepted::new(original, status, warnings)),
            ))
        }
        Err(error) => {
            idempotency::forget(&state, &key).await;
            ingest_pipeline::metrics::upload_rejected(task.size_bytes);
            form.discard(&state).await;
            Err(error)
        }
    }
}

/// Records the task, noting an earlier upload of the same content (sent
/// without an `Idempotency-Key`, which says what a repeat means); for a
/// retry with a key, the original task's id instead.
async fn record(
    state: &AppState,
    key: &Reservation,
    task: &mut Task,
) -> Result<Option<TaskId>, ApiError> {
    if matches!(key, Reservation::None) && task.could_duplicate() {
        let earlier = state
            .tasks
            .same_content(task.datasource.as_str(), &task.sha256)
            .await?;
        if let Some(earlier) = earlier {
            task.warn_duplicate_of(earlier);
        }
    }
    idempotency::record(state, key, task).await
}
