//! S3 object store on aws-sdk-s3. Uploads go out as multipart uploads in
//! fixed-size parts, so memory per upload is one part; any failure, and any
//! upload dropped unfinished, aborts the multipart upload.

use std::path::Path;

use async_trait::async_trait;
use aws_sdk_s3::{
    config::{Credentials, Region},
    primitives::ByteStream,
    types::{CompletedMultipartUpload, CompletedPart},
    Client,
};
use bytes::{Bytes, BytesMut};
use tokio::io::AsyncWriteExt;

use chrono::{DateTime, Utc};

use super::{ListedObject, ObjectStore, S3Location, UploadSink};
use crate::{Result, StorageError};

/// S3 parts must be at least 5 MiB (but the last); 8 MiB keeps the part
/// count of a 10 GiB file under S3's 10,000-part limit.
const PART_SIZE: usize = 8 * 1024 * 1024;

#[derive(Clone)]
pub struct S3Config {
    pub bucket: String,
    /// `None` for AWS itself; a URL such as `http://127.0.0.1:9000` for MinIO.
    pub endpoint: Option<String>,
    pub region: String,
    /// Prepended to every key, e.g. `ingest/`.
    pub prefix: String,
    /// Static credentials; `None` uses the AWS default chain.
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("prefix", &self.prefix)
            .field(
                "credentials",
                &self.credentials.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

/// `S3_PREFIX` as keys begin with it: no leading slash, one trailing.
fn key_prefix(prefix: &str) -> String {
    match prefix.trim_matches('/') {
        "" => String::new(),
        p => format!("{p}/"),
    }
}

/// Where key `key` of a store with this bucket and `S3_PREFIX` lives, for
/// readers such as Druid that are configured with the same settings.
pub fn s3_location(bucket: &str, prefix: &str, key: &str) -> S3Location {
    S3Location {
        bucket: bucket.to_owned(),
        key: format!("{}{key}", key_prefix(prefix)),
    }
}

#[derive(Clone)]
pub struct S3ObjectStore {
    client: Client,
    bucket: String,
    prefix: String,
}

impl S3ObjectStore {
    pub async fn connect(config: S3Config) -> Result<Self> {
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(Region::new(config.region.clone()));
        if let Some((key, secret)) = &config.credentials {
            loader = loader.credentials_provider(Credentials::new(
                key,
                secret,
                None,
                None,
                "ingest-config",
            ));
        }
        // A hung S3 server must not hold a worker or an upload forever:
        // connecting is bounded, and so is each request attempt (generously:
        // an 8 MiB part on a slow link; a download's body streams after it).
        let timeouts = aws_config::timeout::TimeoutConfig::builder()
            .connect_timeout(std::time::Duration::from_secs(5))
            .operation_attempt_timeout(std::time::Duration::from_secs(300))
            .build();
        let shared = loader.timeout_config(timeouts).load().await;
        let mut builder = aws_sdk_s3::config::Builder::from(&shared);
        if let Some(endpoint) = &config.endpoint {
            // MinIO and most S3-compatible servers want path-style addressing.
            builder = builder.endpoint_url(endpoint).force_path_style(true);
        }
        Ok(Self {
            client: Client::from_conf(builder.build()),
            prefix: key_prefix(&config.prefix),
            bucket: config.bucket,
        })
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    /// Creates the bucket if it is missing (used by tests and `doctor --fix`).
    pub async fn ensure_bucket(&self) -> Result<()> {
        if self
            .client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .is_ok()
        {
            return Ok(());
        }
        self.client
            .create_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(StorageError::object("create bucket", &self.bucket))?;
        Ok(())
    }
}

struct S3Upload {
    client: Client,
    bucket: String,
    key: String,
    buffer: BytesMut,
    upload_id: Option<String>,
    parts: Vec<CompletedPart>,
    written: u64,
    done: bool,
}

impl S3Upload {
    async fn upload_id(&mut self) -> Result<String> {
        if let Some(id) = &self.upload_id {
            return Ok(id.clone());
        }
        let created = self
            .client
            .create_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .send()
            .await
            .map_err(StorageError::object("create multipart upload", &self.key))?;
        let id = created.upload_id().unwrap_or_default().to_owned();
        self.upload_id = Some(id.clone());
        Ok(id)
    }

    async fn send_part(&mut self, body: Bytes) -> Result<()> {
        let upload_id = self.upload_id().await?;
        let number = i32::try_from(self.parts.len() + 1).unwrap_or(i32::MAX);
        let part = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(&upload_id)
            .part_number(number)
            .body(ByteStream::from(body))
            .send()
            .await
            .map_err(StorageError::object("upload part", &self.key))?;
        self.parts.push(
            CompletedPart::builder()
                .part_number(number)
                .set_e_tag(part.e_tag().map(str::to_owned))
                .build(),
        );
        Ok(())
    }

    async fn abort_now(&mut self) -> Result<()> {
        self.done = true;
        if let Some(upload_id) = self.upload_id.take() {
            if let Err(error) =
                abort_multipart(&self.client, &self.bucket, &self.key, &upload_id).await
            {
                abort_later(
                    self.client.clone(),
                    self.bucket.clone(),
                    self.key.clone(),
                    upload_id,
                );
                return Err(error);
            }
        }
        Ok(())
    }
}

/// An abort that failed (typically the S3 server unreachable, which is
/// also why the upload failed) is tried again in the background for about
/// ten minutes, so a brief outage leaves no multipart upload behind; the
/// reaper removes what a longer one leaves.
fn abort_later(client: Client, bucket: String, key: String, upload_id: String) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    runtime.spawn(async move {
        let mut delay = std::time::Duration::from_millis(500);
        for _ in 0..12 {
            tokio::time::sleep(delay).await;
            if abort_multipart(&client, &bucket, &key, &upload_id)
                .await
                .is_ok()
            {
                tracing::info!(%key, "abandoned multipart upload aborted on a later try");
                return;
            }
            delay = (delay * 2).min(std::time::Duration::from_secs(120));
        }
        tracing::warn!(%key, "could not abort an abandoned multipart upload; the reaper will");
    });
}

async fn abort_multipart(client: &Client, bucket: &str, key: &str, upload_id: &str) -> Result<()> {
    client
        .abort_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(upload_id)
        .send()
        .await
        .map_err(StorageError::object("abort multipart upload", key))?;
    Ok(())
}

impl Drop for S3Upload {
    fn drop(&mut self) {
        // A request that vanished mid-upload (client disconnect) drops us
        // without finish/abort: clean up in the background.
        if self.done {
            return;
        }
        if let (Some(upload_id), Ok(runtime)) =
            (self.upload_id.take(), tokio::runtime::Handle::try_current())
        {
            let (client, bucket, key) =
                (self.client.clone(), self.bucket.clone(), self.key.clone());
            runtime.spawn(async move {
                if let Err(error) = abort_multipart(&client, &bucket, &key, &upload_id).await {
                    tracing::warn!(%key, error = %error, "could not abort abandoned multipart upload; trying again");
                    abort_later(client, bucket, key, upload_id);
                }
            });
        }
    }
}

#[async_trait]
impl UploadSink for S3Upload {
    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        self.written += chunk.len() as u64;
        self.buffer.extend_from_slice(&chunk);
        while self.buffer.len() >= PART_SIZE {
            let part = self.buffer.split_to(PART_SIZE).freeze();
            if let Err(e) = self.send_part(part).await {
                self.abort_now().await.ok();
                return Err(e);
            }
        }
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<u64> {
        let rest = self.buffer.split().freeze();
        if self.upload_id.is_none() {
            // Small object: one plain PUT is cheaper than a multipart upload.
            self.done = true;
            self.client
                .put_object()
                .bucket(&self.bucket)
                .key(&self.key)
                .body(ByteStream::from(rest))
                .send()
                .await
                .map_err(StorageError::object("put object", &self.key))?;
            return Ok(self.written);
        }
        let outcome = async {
            if !rest.is_empty() {
                self.send_part(rest).await?;
            }
            let upload_id = self.upload_id().await?;
            self.client
                .complete_multipart_upload()
                .bucket(&self.bucket)
                .key(&self.key)
                .upload_id(upload_id)
                .multipart_upload(
                    CompletedMultipartUpload::builder()
                        .set_parts(Some(std::mem::take(&mut self.parts)))
                        .build(),
                )
                .send()
                .await
                .map_err(StorageError::object("complete multipart upload", &self.key))?;
            Ok(())
        }
        .await;
        match outcome {
            Ok(()) => {
                self.done = true;
                self.upload_id = None;
                Ok(self.written)
            }
            Err(e) => {
                self.abort_now().await.ok();
                Err(e)
            }
        }
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        self.abort_now().await
    }
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    fn backend(&self) -> &'static str {
        "s3"
    }

    async fn begin_upload(&self, key: &str) -> Result<Box<dyn UploadSink>> {
        Ok(Box::new(S3Upload {
            client: self.client.clone(),
            bucket: self.bucket.clone(),
            key: self.full_key(key),
            buffer: BytesMut::with_capacity(PART_SIZE),
            upload_id: None,
            parts: Vec::new(),
            written: 0,
            done: false,
        }))
    }

    async fn download_to(&self, key: &str, dest: &Path) -> Result<u64> {
        let full = self.full_key(key);
        let object = self
            .client
            .get_object()
            .bucket(&self.bucket)
            .key(&full)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(service) if service.is_no_such_key() => {
                    StorageError::ObjectNotFound { key: full.clone() }
                }
                _ => StorageError::object("get object", &full)(e),
            })?;
        let mut file = tokio::fs::File::create(dest)
            .await
            .map_err(StorageError::io(format!("create {}", dest.display())))?;
        let mut body = object.body;
        let mut written = 0u64;
        while let Some(chunk) = body
            .try_next()
            .await
            .map_err(StorageError::object("read object body", &full))?
        {
            file.write_all(&chunk)
                .await
                .map_err(StorageError::io(format!("write {}", dest.display())))?;
            written += chunk.len() as u64;
        }
        file.flush()
            .await
            .map_err(StorageError::io(format!("flush {}", dest.display())))?;
        Ok(written)
    }

    async fn size(&self, key: &str) -> Result<Option<u64>> {
        let full = self.full_key(key);
        match self
            .client
            .head_object()
            .bucket(&self.bucket)
            .key(&full)
            .send()
            .await
        {
            Ok(head) => Ok(Some(head.content_length().unwrap_or(0).max(0) as u64)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(StorageError::object("head object", &full)(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let full = self.full_key(key);
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(&full)
            .send()
            .await
            .map_err(StorageError::object("delete object", &full))?;
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        // Sorted by key already.
        let listed = self.list_aged(prefix).await?;
        Ok(listed.into_iter().map(|object| object.key).collect())
    }

    async fn pending_uploads(&self) -> Result<usize> {
        let listed = self
            .client
            .list_multipart_uploads()
            .bucket(&self.bucket)
            .prefix(&self.prefix)
            .send()
            .await
            .map_err(StorageError::object("list multipart uploads", &self.prefix))?;
        Ok(listed.uploads().len())
    }

    async fn list_aged(&self, prefix: &str) -> Result<Vec<ListedObject>> {
        let full_prefix = self.full_key(prefix);
        let mut listed = Vec::new();
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.bucket)
            .prefix(&full_prefix)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(StorageError::object("list objects", &full_prefix))?;
            for object in page.contents() {
                let Some(key) = object.key().and_then(|k| k.strip_prefix(&self.prefix)) else {
                    continue;
                };
                // No date: treat as new (kept), never as old.
                let modified = object
                    .last_modified()
                    .and_then(|at| DateTime::from_timestamp_millis(at.to_millis().ok()?))
                    .unwrap_or_else(Utc::now);
                listed.push(ListedObject {
                    key: key.to_owned(),
                    modified,
                });
            }
        }
        listed.sort_by(|a, b| a.key.cmp(&b.key));
        Ok(listed)
    }

    async fn abort_stale_uploads(&self, prefix: &str, before: DateTime<Utc>) -> Result<usize> {
        let full_prefix = self.full_key(prefix);
        let mut stale = Vec::new();
        let (mut key_marker, mut id_marker) = (None::<String>, None::<String>);
        loop {
            let page = self
                .client
                .list_multipart_uploads()
                .bucket(&self.bucket)
                .prefix(&full_prefix)
                .set_key_marker(key_marker.take())
                .set_upload_id_marker(id_marker.take())
                .send()
                .await
                .map_err(StorageError::object("list multipart uploads", &full_prefix))?;
            for upload in page.uploads() {
                let initiated = upload
                    .initiated()
                    .and_then(|at| DateTime::from_timestamp_millis(at.to_millis().ok()?));
                if let (Some(key), Some(id), Some(at)) =
                    (upload.key(), upload.upload_id(), initiated)
                {
                    if at < before {
                        stale.push((key.to_owned(), id.to_owned()));
                    }
                }
            }
            if page.is_truncated() != Some(true) {
                break;
            }
            key_marker = page.next_key_marker().map(str::to_owned);
            id_marker = page.next_upload_id_marker().map(str::to_owned);
            if key_marker.is_none() && id_marker.is_none() {
                break;
            }
        }
        for (key, id) in &stale {
            abort_multipart(&self.client, &self.bucket, key, id).await?;
        }
        Ok(stale.len())
    }

    async fn health(&self) -> Result<()> {
        self.client
            .head_bucket()
            .bucket(&self.bucket)
            .send()
            .await
            .map_err(StorageError::object("head bucket", &self.bucket))?;
        Ok(())
    }

    fn s3_location(&self, key: &str) -> Option<S3Location> {
        Some(S3Location {
            bucket: self.bucket.clone(),
            key: self.full_key(key),
        })
    }
}
