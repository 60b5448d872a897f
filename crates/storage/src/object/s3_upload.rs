//! One upload to S3 as a multipart upload in fixed-size parts, several in
//! flight at once so a fast store is not waited on one round trip at a
//! time. Memory per upload is bounded: the part being filled plus
//! `PARTS_IN_FLIGHT` parts on the wire. Any failure, and any upload dropped
//! unfinished, aborts the multipart upload, so no parts are left behind.
//!
//! Part buffers are recycled within an upload (`PartPool`) instead of being
//! allocated and freed for every part: glibc serves 8 MiB blocks from
//! per-thread arenas once one has been freed, and with parts freed on
//! whichever thread the SDK finishes them, one 1 GiB upload grew the
//! server's RssAnon to 107–185 MiB (45 MiB with a fixed mmap threshold).

use async_trait::async_trait;
use aws_sdk_s3::{
    primitives::ByteStream,
    types::{CompletedMultipartUpload, CompletedPart},
    Client,
};
use bytes::Bytes;
use std::sync::{Arc, Mutex};
use tokio::task::JoinSet;

use super::UploadSink;
use crate::{Result, StorageError};

/// S3 parts must be at least 5 MiB (but the last); 8 MiB keeps the part
/// count of a 10 GiB file under S3's 10,000-part limit.
const PART_SIZE: usize = 8 * 1024 * 1024;

/// Parts sent concurrently. One at a time left the link idle during every
/// part's round trip; four keeps a local S3 server busy (see BENCHMARKS.md)
/// while holding at most 5 × 8 MiB per upload.
const PARTS_IN_FLIGHT: usize = 4;

pub(super) struct S3Upload {
    client: Client,
    bucket: String,
    key: String,
    /// The part being filled; never holds more than `PART_SIZE` bytes.
    buffer: Vec<u8>,
    pool: PartPool,
    upload_id: Option<String>,
    /// Parts sent so far (the next part's number is this plus one).
    parts_sent: i32,
    in_flight: JoinSet<Result<CompletedPart>>,
    completed: Vec<CompletedPart>,
    /// `payload_needs_signature` of the store's endpoint.
    sign_payload: bool,
    written: u64,
    done: bool,
}

impl S3Upload {
    pub(super) fn new(client: Client, bucket: String, key: String, sign_payload: bool) -> Self {
        Self {
            client,
            bucket,
            key,
            buffer: Vec::with_capacity(PART_SIZE),
            pool: PartPool::default(),
            upload_id: None,
            parts_sent: 0,
            in_flight: JoinSet::new(),
            completed: Vec::new(),
            sign_payload,
            written: 0,
            done: false,
        }
    }

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

    /// Starts sending one part, first waiting for a free slot.
    async fn send_part(&mut self, body: Bytes) -> Result<()> {
        while self.in_flight.len() >= PARTS_IN_FLIGHT {
            self.collect_one().await?;
        }
        let upload_id = self.upload_id().await?;
        self.parts_sent += 1;
        let number = self.parts_sent;
        let request = self
            .client
            .upload_part()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(upload_id)
            .part_number(number)
            .body(ByteStream::from(body));
        let key = self.key.clone();
        let sign_payload = self.sign_payload;
        self.in_flight.spawn(async move {
            let sent = if sign_payload {
                request.send().await
            } else {
                request.customize().disable_payload_signing().send().await
            }
            .map_err(StorageError::object("upload part", &key))?;
            Ok(CompletedPart::builder()
                .part_number(number)
                .set_e_tag(sent.e_tag().map(str::to_owned))
                .build())
        });
        Ok(())
    }

    /// Waits for the next part in flight to finish.
    async fn collect_one(&mut self) -> Result<()> {
        match self.in_flight.join_next().await {
            Some(Ok(part)) => self.completed.push(part?),
            Some(Err(join)) => {
                return Err(StorageError::Object {
                    operation: "upload part",
                    key: self.key.clone(),
                    source: Box::new(join),
                })
            }
            None => {}
        }
        Ok(())
    }

    /// Waits for every part in flight to finish.
    async fn collect_all(&mut self) -> Result<()> {
        while !self.in_flight.is_empty() {
            self.collect_one().await?;
        }
        Ok(())
    }

    async fn complete(&mut self) -> Result<()> {
        self.collect_all().await?;
        // S3 wants the parts in ascending order; they finish in any order.
        let mut parts = std::mem::take(&mut self.completed);
        parts.sort_by_key(|p| p.part_number());
        let upload_id = self.upload_id().await?;
        self.client
            .complete_multipart_upload()
            .bucket(&self.bucket)
            .key(&self.key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(parts))
                    .build(),
            )
            .send()
            .await
            .map_err(StorageError::object("complete multipart upload", &self.key))?;
        Ok(())
    }

    async fn abort_now(&mut self) -> Result<()> {
        self.done = true;
        settle(&mut self.in_flight).await;
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

/// Empty part buffers given back by parts the SDK has finished with.
#[derive(Clone, Default)]
struct PartPool(Arc<Mutex<Vec<Vec<u8>>>>);

impl PartPool {
    /// Turns the filled `buffer` into a part and leaves a recycled (or,
    /// while fewer than `PARTS_IN_FLIGHT + 1` exist, a new) buffer in its
    /// place.
    fn part(&self, buffer: &mut Vec<u8>) -> Bytes {
        let spare = self
            .0
            .lock()
            .ok()
            .and_then(|mut spares| spares.pop())
            .unwrap_or_else(|| Vec::with_capacity(PART_SIZE));
        let data = std::mem::replace(buffer, spare);
        Bytes::from_owner(PooledPart {
            data,
            pool: self.clone(),
        })
    }
}

/// A part's bytes; dropping it (the SDK is done with the part) returns the
/// buffer to its upload's pool.
struct PooledPart {
    data: Vec<u8>,
    pool: PartPool,
}

impl AsRef<[u8]> for PooledPart {
    fn as_ref(&self) -> &[u8] {
        &self.data
    }
}

impl Drop for PooledPart {
    fn drop(&mut self) {
        let mut data = std::mem::take(&mut self.data);
        data.clear();
        if let Ok(mut spares) = self.pool.0.lock() {
            spares.push(data);
        }
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

/// Lets every part in flight finish, whatever its outcome. A part cancelled
/// mid-request may still be written by the server after our abort, and
/// some servers (versitygw) then keep that upload alive: the abort must be
/// the last request of an upload.
async fn settle(in_flight: &mut JoinSet<Result<CompletedPart>>) {
    while in_flight.join_next().await.is_some() {}
}

pub(super) async fn abort_multipart(
    client: &Client,
    bucket: &str,
    key: &str,
    upload_id: &str,
) -> Result<()> {
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
        // without finish/abort: clean up in the background, after the parts
        // in flight (see `settle`).
        if self.done {
            return;
        }
        if let (Some(upload_id), Ok(runtime)) =
            (self.upload_id.take(), tokio::runtime::Handle::try_current())
        {
            let (client, bucket, key) =
                (self.client.clone(), self.bucket.clone(), self.key.clone());
            let mut in_flight = std::mem::take(&mut self.in_flight);
            runtime.spawn(async move {
                settle(&mut in_flight).await;
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
        let mut rest = &chunk[..];
        while !rest.is_empty() {
            let room = PART_SIZE - self.buffer.len();
            let (now, later) = rest.split_at(room.min(rest.len()));
            self.buffer.extend_from_slice(now);
            rest = later;
            if self.buffer.len() == PART_SIZE {
                let part = self.pool.part(&mut self.buffer);
                if let Err(e) = self.send_part(part).await {
                    self.abort_now().await.ok();
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    async fn flush(&mut self) -> Result<()> {
        self.collect_all().await
    }

    async fn finish(mut self: Box<Self>) -> Result<u64> {
        let rest = Bytes::from(std::mem::take(&mut self.buffer));
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
            self.complete().await
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
