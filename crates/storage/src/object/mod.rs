//! Object storage: uploads are streamed in, never held whole in memory.

mod local;
mod s3;
mod s3_upload;

use std::path::Path;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};

pub use local::LocalObjectStore;

pub(crate) fn system_time(at: std::time::SystemTime) -> DateTime<Utc> {
    DateTime::<Utc>::from(at)
}
pub use s3::{s3_location, S3Config, S3ObjectStore};

use crate::Result;

/// Where an object lives in S3 terms, for readers such as Druid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Location {
    pub bucket: String,
    pub key: String,
}

/// A stored object and when it was last written, for the reaper.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    pub key: String,
    pub modified: DateTime<Utc>,
}

/// An object's bytes as they arrive from the store, for serving a download
/// without a local copy.
pub type ObjectStream =
    std::pin::Pin<Box<dyn futures::Stream<Item = std::io::Result<Bytes>> + Send>>;

/// An upload in progress. Dropping it without `finish` abandons the upload
/// and leaves nothing behind (the S3 multipart upload is aborted).
#[async_trait]
pub trait UploadSink: Send {
    async fn write(&mut self, chunk: Bytes) -> Result<()>;
    /// Waits until everything written so far that the store has been sent
    /// is stored (S3: the parts in flight); a crash after this leaves an
    /// unfinished upload holding those parts. Tests use it to make such a
    /// leftover without racing a part still on the wire.
    async fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    /// Makes the object durable and visible; returns its size.
    async fn finish(self: Box<Self>) -> Result<u64>;
    /// Abandons the upload now, waiting until it is cleaned up.
    async fn abort(self: Box<Self>) -> Result<()>;
}

#[async_trait]
pub trait ObjectStore: Send + Sync + 'static {
    /// `local` or `s3`, for health reports.
    fn backend(&self) -> &'static str;
    async fn begin_upload(&self, key: &str) -> Result<Box<dyn UploadSink>>;
    /// Copies the object into a local file, returning the bytes written.
    async fn download_to(&self, key: &str, dest: &Path) -> Result<u64>;
    /// Streams the object (`ObjectNotFound` when absent); memory does not
    /// grow with its size.
    async fn read_stream(&self, key: &str) -> Result<ObjectStream>;
    /// Size of the object, or `None` if absent.
    async fn size(&self, key: &str) -> Result<Option<u64>>;
    async fn delete(&self, key: &str) -> Result<()>;
    /// Keys under a prefix (for tests and clean-up; not for hot paths).
    async fn list(&self, prefix: &str) -> Result<Vec<String>>;
    /// Uploads begun and neither finished nor aborted (S3: open multipart
    /// uploads). Proves that abandoned uploads leave nothing behind.
    async fn pending_uploads(&self) -> Result<usize>;
    /// `list` with each object's last write time (for the reaper).
    async fn list_aged(&self, prefix: &str) -> Result<Vec<ListedObject>>;
    /// Abandons the uploads under `prefix` begun (S3: initiated; local: the
    /// temp file last written) before `before`, which a crash left behind;
    /// returns how many. `before` must be far older than any upload still
    /// arriving can be.
    async fn abort_stale_uploads(&self, prefix: &str, before: DateTime<Utc>) -> Result<usize>;
    /// Cheap round trip proving the store answers.
    async fn health(&self) -> Result<()>;
    /// The S3 address of a key, when the store is S3.
    fn s3_location(&self, key: &str) -> Option<S3Location>;
}

/// Streams a local file into the store.
pub async fn upload_file(store: &dyn ObjectStore, key: &str, path: &Path) -> Result<u64> {
    upload_file_range(store, key, path, 0..u64::MAX).await
}

/// Streams bytes `range` of a local file (to its end at most) into the
/// store as one object: a part of a file too big for one reader.
pub async fn upload_file_range(
    store: &dyn ObjectStore,
    key: &str,
    path: &Path,
    range: std::ops::Range<u64>,
) -> Result<u64> {
    use tokio::io::{AsyncReadExt, AsyncSeekExt};
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(crate::StorageError::io(format!("open {}", path.display())))?;
    if range.start > 0 {
        file.seek(std::io::SeekFrom::Start(range.start))
            .await
            .map_err(crate::StorageError::io(format!("seek {}", path.display())))?;
    }
    let mut file = file.take(range.end.saturating_sub(range.start));
    let mut sink = store.begin_upload(key).await?;
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match file.read(&mut buf).await {
            Ok(n) => n,
            Err(e) => {
                sink.abort().await?;
                return Err(crate::StorageError::io(format!("read {}", path.display()))(
                    e,
                ));
            }
        };
        if n == 0 {
            break;
        }
        if let Err(e) = sink.write(Bytes::copy_from_slice(&buf[..n])).await {
            sink.abort().await?;
            return Err(e);
        }
    }
    sink.finish().await
}
