//! `POST /api/ingest/preview`: what an upload of this file would become,
//! before it is uploaded. Stores nothing: no object, no task.

use axum::{extract::State, Json};
use ingest_domain::{FilePreview, Warning};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::preview_form::PreviewForm;
use crate::{error::ApiError, extract::Query, preview_gate::PreviewPermit, state::AppState};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PreviewQuery {
    /// `true`: the file part is only the start of a CSV/NDJSON file (plain
    /// or gzip/zstd); its last, possibly cut, line is left out instead of
    /// being reported as broken. Ignored for XLSX and Parquet, which must
    /// be sent whole.
    truncated: Option<bool>,
}

#[derive(Serialize, ToSchema)]
pub struct PreviewAnswer {
    #[serde(flatten)]
    preview: FilePreview,
    /// Parts of the form this server does not know (`unknown_field`), as
    /// an upload would list them.
    warnings: Vec<Warning>,
}

/// Preview a file: format, encoding, compression, CSV dialect, sheets,
/// columns with their types, the time column, the first 50 rows as they
/// would be ingested and the problems found so far. Takes the upload's
/// form (`datasource_name` optional). Nothing is stored.
#[utoipa::path(
    post,
    path = "/api/ingest/preview",
    tag = "ingest",
    params(PreviewQuery),
    request_body(content = super::upload::UploadFormDoc, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The preview; problems with the file are in it, not an error", body = PreviewAnswer),
        (status = 400, description = "Malformed request or no file part", body = crate::error::ErrorBody),
        (status = 413, description = "`preview_too_large`: over INGEST_MAX_PREVIEW_BYTES (send only the start of a text file, with truncated=true)", body = crate::error::ErrorBody),
        (status = 415, description = "Unsupported file type, or content that does not match its name", body = crate::error::ErrorBody),
        (status = 422, description = "An invalid field, or an empty file", body = crate::error::ErrorBody),
        (status = 429, description = "`too_many_previews`: INGEST_MAX_CONCURRENT_PREVIEWS previews already running; see Retry-After", body = crate::error::ErrorBody,
            headers(("Retry-After" = u64, description = "Seconds to wait before trying again"))),
        (status = 503, description = "`preview_timeout`: the parse took longer than INGEST_PREVIEW_TIMEOUT_SECS", body = crate::error::ErrorBody)
    )
)]
pub async fn preview(
    State(state): State<AppState>,
    permit: PreviewPermit,
    Query(query): Query<PreviewQuery>,
    mut form: PreviewForm,
) -> Result<Json<PreviewAnswer>, ApiError> {
    let warnings = std::mem::take(&mut form.warnings);
    let truncated = query.truncated.unwrap_or(false);
    let preview = form.run(&state, truncated, permit).await?;
    Ok(Json(PreviewAnswer { preview, warnings }))
}
