//! S3 object store on aws-sdk-s3. Uploads go out as multipart uploads (see
//! `s3_upload.rs`); downloads stream to a file.

use std::path::Path;

use async_trait::async_trait;
use aws_sdk_s3::{
    config::{Credentials, Region},
    Client,
};
use aws_smithy_http_client::tls;
use tokio::io::AsyncWriteExt;

use chrono::{DateTime, Utc};

use super::s3_upload::{abort_multipart, S3Upload};
use super::{ListedObject, ObjectStore, S3Location, UploadSink};
use crate::{Result, StorageError};

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
    /// Whether upload parts carry a SHA-256 of their bytes in the signature
    /// (see `payload_needs_signature`).
    sign_payload: bool,
}

/// Whether an upload part's bytes must be signed (SigV4's payload hash) to
/// reach the store unaltered: only over plain HTTP to another machine. Over
/// HTTPS (AWS itself, `endpoint` `None`) TLS protects them, and on loopback
/// nobody sits in between; there the SDK's signed CRC32 checksum still
/// catches corruption, and both ends skip a SHA-256 pass over every byte
/// (over half of the server's CPU per uploaded byte, BENCHMARKS.md).
pub(super) fn payload_needs_signature(endpoint: Option<&str>) -> bool {
    let Some(endpoint) = endpoint else {
        return false;
    };
    let Some((scheme, rest)) = endpoint.trim().split_once("://") else {
        return true;
    };
    if scheme.eq_ignore_ascii_case("https") {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    let host_port = authority.rsplit('@').next().unwrap_or_default();
    let host = match host_port.strip_prefix('[') {
        Some(bracketed) => bracketed.split(']').next().unwrap_or_default(),
        None => host_port.split(':').next().unwrap_or_default(),
    };
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !loopback
}

impl S3ObjectStore {
    pub async fn connect(config: S3Config) -> Result<Self> {
        // HTTPS (for a real S3) with rustls on ring; plain HTTP works too.
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(
                tls::rustls_provider::CryptoMode::Ring,
            ))
            .build_https();
        let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest())
            .http_client(http)
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
            sign_payload: payload_needs_signature(config.endpoint.as_deref()),
            bucket: config.bucket,
        })
    }

    fn full_key(&self, key: &str) -> String {
        format!("{}{}", self.prefix, key)
    }

    /// GETs the object at the full key; `ObjectNotFound` when absent.
    async fn get(&self, full: &str) -> Result<aws_sdk_s3::operation::get_object::GetObjectOutput> {
        self.client
            .get_object()
            .bucket(&self.bucket)
            .key(full)
            .send()
            .await
            .map_err(|e| match e.as_service_error() {
                Some(service) if service.is_no_such_key() => StorageError::ObjectNotFound {
                    key: full.to_owned(),
                },
                _ => StorageError::object("get object", full)(e),
            })
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

#[async_trait]
impl ObjectStore for S3ObjectStore {
    fn backend(&self) -> &'static str {
        "s3"
    }

    async fn begin_upload(&self, key: &str) -> Result<Box<dyn UploadSink>> {
        Ok(Box::new(S3Upload::new(
            self.client.clone(),
            self.bucket.clone(),
            self.full_key(key),
            self.sign_payload,
        )))
    }

    async fn download_to(&self, key: &str, dest: &Path) -> Result<u64> {
        let full = self.full_key(key);
        let object = self.get(&full).await?;
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

    async fn read_stream(&self, key: &str) -> Result<super::ObjectStream> {
        let full = self.full_key(key);
        let body = self.get(&full).await?.body;
        // `None` once the body ended or failed: nothing is read after an error.
        let chunks = futures::stream::unfold(Some(body), |body| async move {
            let mut body = body?;
            match body.try_next().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(body))),
                Ok(None) => None,
                Err(e) => Some((Err(std::io::Error::other(e)), None)),
            }
        });
        Ok(Box::pin(chunks))
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

#[cfg(test)]
mod tests {
    use super::payload_needs_signature;

    #[test]
    fn parts_are_signed_only_over_plain_http_to_another_machine() {
        for unsigned in [
            None,
            Some("https://s3.eu-west-1.amazonaws.com"),
            Some("HTTPS://minio.example.com:9000"),
            Some("http://127.0.0.1:9000"),
            Some("http://127.8.0.2:9000/"),
            Some("http://localhost:9000"),
            Some("http://[::1]:9000"),
            Some("http://user:pw@127.0.0.1:9000/path"),
        ] {
            assert!(!payload_needs_signature(unsigned), "{unsigned:?}");
        }
        for signed in [
            "http://10.0.0.5:9000",
            "http://minio:9000",
            "http://s3.example.com",
            "http://[2001:db8::1]:9000",
            "http://localhost.example.com@10.0.0.5:9000",
            "minio:9000",
        ] {
            assert!(payload_needs_signature(Some(signed)), "{signed}");
        }
    }
}
