//! The preview's form: the upload's fields (read by the same extractor,
//! `upload_form::read_form`), its file spooled into a private temporary
//! folder instead of the object store, and parsed off the async threads
//! under validation's limits, a time limit and the preview's size limit.
//! The folder goes when the preview ends, however it ends: nothing stays.

use std::path::PathBuf;

use axum::extract::{multipart::Field, FromRequest, Request};
use chrono::Utc;
use ingest_domain::{FileFormat, FilePreview, TaskId, Warning};
use ingest_validation::{Control, Options, OutputFormat, ValidationError};
use tokio::io::AsyncWriteExt;

use super::upload_form::{
    multipart_error, read_form, safe_file_name, sniff_format, ReceivedFile, UploadFields,
};
use crate::{error::ApiError, preview_gate::PreviewPermit, state::AppState};

/// A preview's file on local disk, in a folder removed on drop.
#[derive(Debug)]
pub struct SpooledFile {
    folder: tempfile::TempDir,
    path: PathBuf,
    format: FileFormat,
}

impl ReceivedFile for SpooledFile {
    async fn receive(
        state: &AppState,
        _: TaskId,
        mut field: Field<'_>,
        declared: Option<FileFormat>,
    ) -> Result<Self, ApiError> {
        let limit = state.preview.max_bytes;
        let file_name = safe_file_name(field.file_name());
        let (head, format) =
            sniff_format(&mut field, &file_name, declared, state.max_upload_bytes).await?;
        let folder = tokio::task::spawn_blocking(|| {
            tempfile::Builder::new().prefix("ingest-preview-").tempdir()
        })
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| ApiError::internal(format!("cannot make a preview folder: {e}")))?;
        let path = folder.path().join("sent");
        let mut file = tokio::fs::File::create(&path)
            .await
            .map_err(|e| ApiError::internal(format!("cannot write a preview file: {e}")))?;
        let mut size = 0u64;
        let mut pending = head.into_iter();
        loop {
            let chunk = match pending.next() {
                Some(chunk) => chunk,
                None => match field
                    .chunk()
                    .await
                    .map_err(|e| multipart_error(e, state.max_upload_bytes))?
                {
                    Some(chunk) => chunk,
                    None => break,
                },
            };
            size += chunk.len() as u64;
            if size > limit {
                return Err(ApiError::preview_too_large(limit));
            }
            file.write_all(&chunk)
                .await
                .map_err(|e| ApiError::internal(format!("cannot write a preview file: {e}")))?;
        }
        file.flush()
            .await
            .map_err(|e| ApiError::internal(format!("cannot write a preview file: {e}")))?;
        Ok(Self {
            folder,
            path,
            format,
        })
    }

    async fn discard(self, _: &AppState) {
        remove(self).await;
    }

    fn format(&self) -> FileFormat {
        self.format
    }
}

/// Removes the folder off the async threads.
async fn remove(file: SpooledFile) {
    let _ = tokio::task::spawn_blocking(move || drop(file.folder)).await;
}

/// A preview request: the upload's fields and the spooled file. Unlike an
/// upload, `datasource_name` is optional.
#[derive(Debug)]
pub struct PreviewForm {
    pub fields: UploadFields,
    pub file: SpooledFile,
    /// Parts the form does not know.
    pub warnings: Vec<Warning>,
}

impl FromRequest<AppState> for PreviewForm {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, ApiError> {
        let ((), parts, file) =
            read_form::<SpooledFile, _>(request, state, TaskId::new(), |p| p.check_file()).await?;
        Ok(Self {
            fields: parts.fields,
            file,
            warnings: parts.warnings,
        })
    }
}

/// Cancels the parse when the request goes away (client gone, time out).
struct CancelOnDrop(Control);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

impl PreviewForm {
    /// Parses the file off the async threads, within the preview's time
    /// limit; `truncated`: the file is only the start of a text file.
    /// The permit is held until the parse ends, not just the request: a
    /// parse outliving its request still counts against the cap.
    pub async fn run(
        self,
        state: &AppState,
        truncated: bool,
        permit: PreviewPermit,
    ) -> Result<FilePreview, ApiError> {
        let gate = &state.preview;
        let options = Options {
            timestamp_column: self.fields.timestamp_column.clone(),
            encoding: self.fields.encoding.map(|e| e.0.to_owned()),
            sheet: self.fields.sheet.clone(),
            column_types: self
                .fields
                .column_types
                .as_ref()
                .map(|t| t.0.clone())
                .unwrap_or_default(),
            timestamp_format: self.fields.timestamp_format.as_ref().map(|f| f.0.clone()),
            ..Options::new(self.file.format, Utc::now(), OutputFormat::default())
        };
        let control = Control::new(gate.limits.clone()).with_parallelism(gate.parallelism.clone());
        let cancel = CancelOnDrop(control.clone());
        let file = self.file;
        let job = tokio::task::spawn_blocking(move || {
            let result = ingest_validation::preview(&file.path, &options, truncated, &control);
            drop(file); // the folder goes with the parse, even if the request went first
            drop(permit);
            result
        });
        let outcome = tokio::time::timeout(gate.timeout, job).await;
        drop(cancel);
        match outcome {
            Err(_) | Ok(Ok(Err(ValidationError::Cancelled))) => {
                Err(ApiError::preview_timeout(gate.timeout.as_secs()))
            }
            Ok(Err(panicked)) => Err(ApiError::internal(panicked)),
            Ok(Ok(Err(error))) => Err(ApiError::internal(crate::error::error_chain(&error))),
            Ok(Ok(Ok(preview))) => Ok(preview),
        }
    }
}
