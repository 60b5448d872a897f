//! Object store in a local folder: the embedded default. An upload is written
//! to a temporary file beside its destination and renamed into place, so a
//! half-written object is never visible.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use tokio::io::AsyncWriteExt;

use chrono::{DateTime, Utc};

use super::{system_time, ListedObject, ObjectStore, S3Location, UploadSink};
use crate::{Result, StorageError};

pub struct LocalObjectStore {
    root: PathBuf,
}

impl LocalObjectStore {
    pub async fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        tokio::fs::create_dir_all(&root)
            .await
            .map_err(StorageError::io(format!("create {}", root.display())))?;
        Ok(Self { root })
    }

    /// Maps a key to a path, refusing keys that would leave the root.
    fn path_of(&self, key: &str) -> Result<PathBuf> {
        let escapes = key.is_empty()
            || key.starts_with('/')
            || key
                .split('/')
                .any(|part| part.is_empty() || part == "." || part == "..");
        if escapes {
            return Err(StorageError::Config(format!("invalid object key {key:?}")));
        }
        Ok(self.root.join(key))
    }
}

struct LocalUpload {
    temp: Option<tempfile::TempPath>,
    file: tokio::fs::File,
    dest: PathBuf,
    written: u64,
}

#[async_trait]
impl UploadSink for LocalUpload {
    async fn write(&mut self, chunk: Bytes) -> Result<()> {
        self.file
            .write_all(&chunk)
            .await
            .map_err(StorageError::io(format!("write {}", self.dest.display())))?;
        self.written += chunk.len() as u64;
        Ok(())
    }

    async fn finish(mut self: Box<Self>) -> Result<u64> {
        let context = format!("finish {}", self.dest.display());
        self.file
            .sync_all()
            .await
            .map_err(StorageError::io(&context))?;
        if let Some(temp) = self.temp.take() {
            temp.persist(&self.dest)
                .map_err(|e| StorageError::io(&context)(e.error))?;
        }
        Ok(self.written)
    }

    async fn abort(mut self: Box<Self>) -> Result<()> {
        // Dropping the temp path deletes the partial file.
        drop(self.temp.take());
        Ok(())
    }
}

#[async_trait]
impl ObjectStore for LocalObjectStore {
    fn backend(&self) -> &'static str {
        "local"
    }

    async fn begin_upload(&self, key: &str) -> Result<Box<dyn UploadSink>> {
        let dest = self.path_of(key)?;
        let dir = dest.parent().unwrap_or(&self.root).to_path_buf();
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(StorageError::io(format!("create {}", dir.display())))?;
        let temp = tempfile::Builder::new()
            .prefix(".upload-")
            .tempfile_in(&dir)
            .map_err(StorageError::io(format!("temp file in {}", dir.display())))?;
        let (std_file, temp_path) = temp.into_parts();
        Ok(Box::new(LocalUpload {
            temp: Some(temp_path),
            file: tokio::fs::File::from_std(std_file),
            dest,
            written: 0,
        }))
    }

    async fn download_to(&self, key: &str, dest: &Path) -> Result<u64> {
        let src = self.path_of(key)?;
        match tokio::fs::copy(&src, dest).await {
            Ok(n) => Ok(n),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(StorageError::ObjectNotFound {
                    key: key.to_owned(),
                })
            }
            Err(e) => Err(StorageError::io(format!("copy {}", src.display()))(e)),
        }
    }

    async fn read_stream(&self, key: &str) -> Result<super::ObjectStream> {
        let path = self.path_of(key)?;
        match tokio::fs::File::open(&path).await {
            Ok(file) => Ok(Box::pin(tokio_util::io::ReaderStream::new(file))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(StorageError::ObjectNotFound {
                    key: key.to_owned(),
                })
            }
            Err(e) => Err(StorageError::io(format!("open {}", path.display()))(e)),
        }
    }

    async fn size(&self, key: &str) -> Result<Option<u64>> {
        let path = self.path_of(key)?;
        match tokio::fs::metadata(&path).await {
            Ok(meta) => Ok(Some(meta.len())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StorageError::io(format!("stat {}", path.display()))(e)),
        }
    }

    async fn delete(&self, key: &str) -> Result<()> {
        let path = self.path_of(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StorageError::io(format!("delete {}", path.display()))(e)),
        }
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        let walk = move || -> std::io::Result<Vec<String>> {
            let mut keys = Vec::new();
            let mut dirs = vec![root.clone()];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir)? {
                    let entry = entry?;
                    let path = entry.path();
                    if entry.file_type()?.is_dir() {
                        dirs.push(path);
                        continue;
                    }
                    let Ok(rel) = path.strip_prefix(&root) else {
                        continue;
                    };
                    let key = rel.to_string_lossy().replace('\\', "/");
                    let hidden = rel
                        .file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with(".upload-"));
                    if key.starts_with(&prefix) && !hidden {
                        keys.push(key);
                    }
                }
            }
            keys.sort();
            Ok(keys)
        };
        tokio::task::spawn_blocking(walk)
            .await
            .map_err(|e| StorageError::io("list objects")(std::io::Error::other(e)))?
            .map_err(StorageError::io(format!("list {}", self.root.display())))
    }

    async fn pending_uploads(&self) -> Result<usize> {
        let root = self.root.clone();
        let count = move || -> std::io::Result<usize> {
            let mut partial = 0;
            let mut dirs = vec![root];
            while let Some(dir) = dirs.pop() {
                for entry in std::fs::read_dir(&dir)? {
                    let entry = entry?;
                    if entry.file_type()?.is_dir() {
                        dirs.push(entry.path());
                    } else if entry.file_name().to_string_lossy().starts_with(".upload-") {
                        partial += 1;
                    }
                }
            }
            Ok(partial)
        };
        tokio::task::spawn_blocking(count)
            .await
            .map_err(|e| StorageError::io("count uploads")(std::io::Error::other(e)))?
            .map_err(StorageError::io(format!("scan {}", self.root.display())))
    }

    async fn list_aged(&self, prefix: &str) -> Result<Vec<ListedObject>> {
        let mut listed = Vec::new();
        for key in self.list(prefix).await? {
            let path = self.path_of(&key)?;
            match tokio::fs::metadata(&path).await {
                Ok(meta) => listed.push(ListedObject {
                    key,
                    modified: system_time(
                        meta.modified()
                            .map_err(StorageError::io(format!("stat {}", path.display())))?,
                    ),
                }),
                // Deleted since it was listed.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(StorageError::io(format!("stat {}", path.display()))(e)),
            }
        }
        Ok(listed)
    }

    async fn abort_stale_uploads(&self, prefix: &str, before: DateTime<Utc>) -> Result<usize> {
        let root = self.root.clone();
        let prefix = prefix.to_owned();
        // A temp file's mtime moves with every write: it is as old as the
        // upload's last sign of life.
        let sweep = move || -> std::io::Result<usize> {
            let mut removed = 0;
            let mut dirs = vec![root.clone()];
            while let Some(dir) = dirs.pop() {
                let entries = match std::fs::read_dir(&dir) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                    Err(e) => return Err(e),
                };
                for entry in entries {
                    let entry = entry?;
                    let path = entry.path();
                    if entry.file_type()?.is_dir() {
                        dirs.push(path);
                        continue;
                    }
                    let key = path
                        .strip_prefix(&root)
                        .map(|rel| rel.to_string_lossy().replace('\\', "/"))
                        .unwrap_or_default();
                    let partial = entry.file_name().to_string_lossy().starts_with(".upload-");
                    if !partial || !key.starts_with(&prefix) {
                        continue;
                    }
                    let stale = entry
                        .metadata()?
                        .modified()
                        .is_ok_and(|at| system_time(at) < before);
                    if stale {
                        match std::fs::remove_file(&path) {
                            Ok(()) => removed += 1,
                            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                            Err(e) => return Err(e),
                        }
                    }
                }
            }
            Ok(removed)
        };
        tokio::task::spawn_blocking(sweep)
            .await
            .map_err(|e| StorageError::io("sweep uploads")(std::io::Error::other(e)))?
            .map_err(StorageError::io(format!("sweep {}", self.root.display())))
    }

    async fn health(&self) -> Result<()> {
        tokio::fs::metadata(&self.root)
            .await
            .map(|_| ())
            .map_err(StorageError::io(format!("stat {}", self.root.display())))
    }

    fn s3_location(&self, _key: &str) -> Option<S3Location> {
        None
    }
}
