//! The reaper removes what crashes leave behind: uploads begun and never
//! finished (S3 multipart uploads, local `.upload-*` files), uploaded
//! objects no task row references, normalized objects of finished tasks,
//! `work/task-*` scratch folders of finished tasks, and local-sink staging
//! files of finished tasks. It runs at start and then periodically.
//!
//! What it never touches:
//! - anything outside the key prefixes this service writes (`uploads/`,
//!   `normalized/`): a bucket may be shared, and `S3_PREFIX` may be empty;
//! - the upload of any task that exists (kept for "Run again"), and its
//!   rejected rows (`uploads/{task id}/rejected/…`, served for download):
//!   both go with the task, as objects no task row references;
//! - anything of an unfinished task (its worker may be using it);
//! - an upload still arriving, or an object whose task row is about to be
//!   written: those are judged by age, and `min_age` must be far above the
//!   longest upload (not only the idle timeout, which bounds a pause).

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Duration,
};

use chrono::{DateTime, Utc};
use ingest_domain::TaskId;
use ingest_storage::{ObjectStore, StorageError, TaskStore};
use tokio_util::sync::CancellationToken;
use tracing::{info, warn};

/// Key prefixes this service writes; the reaper looks nowhere else.
const UPLOADS: &str = "uploads/";
use crate::druid_sink::parts::{task_of_normalized_key, NORMALIZED};

/// Leftovers of a finished task wait this long, so a request that just
/// queued it again is not raced.
const FINISHED_GRACE: Duration = Duration::from_secs(600);

#[derive(Debug, Clone)]
pub struct ReaperConfig {
    /// The workers' scratch folder (`work/`).
    pub work_dir: PathBuf,
    /// The local sink's datasource folders, when that is the sink.
    pub sink_dir: Option<PathBuf>,
    /// Age after which an unfinished upload, or an object without a task,
    /// is an orphan.
    pub min_age: Duration,
}

/// What one pass removed (or, from `ReaperCounts::totals`, all passes).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    /// Unfinished uploads: open S3 multipart uploads, `.upload-*` files.
    pub stale_uploads: u64,
    /// Uploaded objects whose task row does not exist.
    pub orphan_objects: u64,
    /// Normalized objects of finished (or unknown) tasks.
    pub normalized_objects: u64,
    /// `work/task-*` folders of finished (or unknown) tasks.
    pub work_dirs: u64,
    /// Local-sink staging files of finished (or unknown) tasks.
    pub staging_files: u64,
}

/// Running totals, shared with whoever reports them (metrics).
#[derive(Debug, Default)]
pub struct ReaperCounts {
    stale_uploads: AtomicU64,
    orphan_objects: AtomicU64,
    normalized_objects: AtomicU64,
    work_dirs: AtomicU64,
    staging_files: AtomicU64,
    passes: AtomicU64,
    failed_steps: AtomicU64,
}

impl ReaperCounts {
    pub fn totals(&self) -> Removed {
        let get = |n: &AtomicU64| n.load(Ordering::Relaxed);
        Removed {
            stale_uploads: get(&self.stale_uploads),
            orphan_objects: get(&self.orphan_objects),
            normalized_objects: get(&self.normalized_objects),
            work_dirs: get(&self.work_dirs),
            staging_files: get(&self.staging_files),
        }
    }

    /// Passes run so far.
    pub fn passes(&self) -> u64 {
        self.passes.load(Ordering::Relaxed)
    }

    /// Steps of a pass that failed (a backend did not answer); the next
    /// pass tries again.
    pub fn failed_steps(&self) -> u64 {
        self.failed_steps.load(Ordering::Relaxed)
    }

    fn add(&self, r: &Removed) {
        self.stale_uploads
            .fetch_add(r.stale_uploads, Ordering::Relaxed);
        self.orphan_objects
            .fetch_add(r.orphan_objects, Ordering::Relaxed);
        self.normalized_objects
            .fetch_add(r.normalized_objects, Ordering::Relaxed);
        self.work_dirs.fetch_add(r.work_dirs, Ordering::Relaxed);
        self.staging_files
            .fetch_add(r.staging_files, Ordering::Relaxed);
        self.passes.fetch_add(1, Ordering::Relaxed);
        for (kind, count) in [
            ("stale_upload", r.stale_uploads),
            ("orphan_object", r.orphan_objects),
            ("normalized_object", r.normalized_objects),
            ("work_dir", r.work_dirs),
            ("staging_file", r.staging_files),
        ] {
            crate::metrics::reaper_removed(kind, count);
        }
    }
}

/// Whether a task still needs what carries its id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Unfinished,
    Finished,
    Absent,
}

pub struct Reaper {
    tasks: Arc<dyn TaskStore>,
    objects: Arc<dyn ObjectStore>,
    config: ReaperConfig,
    counts: Arc<ReaperCounts>,
}

/// One pass: its clock, and what it learned of each task.
struct Pass<'a> {
    reaper: &'a Reaper,
    now: DateTime<Utc>,
    owners: HashMap<TaskId, Owner>,
    removed: Removed,
}

impl Reaper {
    pub fn new(
        tasks: Arc<dyn TaskStore>,
        objects: Arc<dyn ObjectStore>,
        config: ReaperConfig,
    ) -> Self {
        Self {
            tasks,
            objects,
            config,
            counts: Arc::default(),
        }
    }

    pub fn counts(&self) -> Arc<ReaperCounts> {
        Arc::clone(&self.counts)
    }

    /// One pass now.
    pub async fn run_once(&self) -> Removed {
        self.run_once_at(Utc::now()).await
    }

    /// One pass as if it were `now` (tests age the leftovers this way
    /// instead of waiting). A step whose backend fails is logged and
    /// skipped; the others still run.
    pub async fn run_once_at(&self, now: DateTime<Utc>) -> Removed {
        let mut pass = Pass {
            reaper: self,
            now,
            owners: HashMap::new(),
            removed: Removed::default(),
        };
        let steps = [
            ("stale uploads", pass.stale_uploads().await),
            ("orphan objects", pass.orphan_objects().await),
            ("normalized objects", pass.normalized_objects().await),
            ("work folders", pass.work_dirs().await),
            ("staging files", pass.staging_files().await),
        ];
        for (step, outcome) in steps {
            if let Err(error) = outcome {
                self.counts.failed_steps.fetch_add(1, Ordering::Relaxed);
                warn!(step, %error, "reaper step failed; the next pass tries again");
            }
        }
        let removed = pass.removed;
        self.counts.add(&removed);
        if removed != Removed::default() {
            info!(
                stale_uploads = removed.stale_uploads,
                orphan_objects = removed.orphan_objects,
                normalized_objects = removed.normalized_objects,
                work_dirs = removed.work_dirs,
                staging_files = removed.staging_files,
                "reaper removed leftovers"
            );
        }
        removed
    }

    /// Runs a pass at once and then every `every`, until `stop` fires.
    pub fn spawn(
        self: Arc<Self>,
        every: Duration,
        stop: CancellationToken,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            loop {
                self.run_once().await;
                tokio::select! {
                    () = tokio::time::sleep(every) => {}
                    () = stop.cancelled() => break,
                }
            }
        })
    }
}

#[derive(Debug, thiserror::Error)]
enum StepError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Pass<'_> {
    fn before(&self, age: Duration) -> DateTime<Utc> {
        self.now - chrono::Duration::from_std(age).unwrap_or(chrono::Duration::MAX)
    }

    async fn owner(&mut self, id: TaskId) -> Result<Owner, StepError> {
        if let Some(owner) = self.owners.get(&id) {
            return Ok(*owner);
        }
        let owner = match self.reaper.tasks.get(id).await? {
            None => Owner::Absent,
            Some(task) if task.status().is_terminal() => Owner::Finished,
            Some(_) => Owner::Unfinished,
        };
        self.owners.insert(id, owner);
        Ok(owner)
    }

    async fn stale_uploads(&mut self) -> Result<(), StepError> {
        let before = self.before(self.reaper.config.min_age);
        for prefix in [UPLOADS, NORMALIZED] {
            let n = self
                .reaper
                .objects
                .abort_stale_uploads(prefix, before)
                .await?;
            if n > 0 {
                info!(prefix, count = n, "reaper aborted unfinished uploads");
            }
            self.removed.stale_uploads += n as u64;
        }
        Ok(())
    }

    /// `uploads/{task id}/…` (the upload, and its rejected rows) whose task
    /// row does not exist. Those of finished tasks stay: "Run again" needs
    /// the upload, and the rejected rows stay downloadable.
    async fn orphan_objects(&mut self) -> Result<(), StepError> {
        let before = self.before(self.reaper.config.min_age);
        for object in self.reaper.objects.list_aged(UPLOADS).await? {
            let id = object.key[UPLOADS.len()..]
                .split('/')
                .next()
                .and_then(|id| id.parse::<TaskId>().ok());
            let Some(id) = id else { continue };
            if object.modified < before && self.owner(id).await? == Owner::Absent {
                self.reaper.objects.delete(&object.key).await?;
                info!(key = %object.key, "reaper removed an upload no task references");
                self.removed.orphan_objects += 1;
            }
        }
        Ok(())
    }

    /// `normalized/{task id}.{ext}` and `normalized/{task id}.partNNNN.{ext}`
    /// (what Druid read) of a finished task.
    async fn normalized_objects(&mut self) -> Result<(), StepError> {
        let (finished, absent) = (
            self.before(FINISHED_GRACE),
            self.before(self.reaper.config.min_age),
        );
        for object in self.reaper.objects.list_aged(NORMALIZED).await? {
            // The whole file, or one of its parts (every part names its task).
            let Some(id) = task_of_normalized_key(&object.key) else {
                continue;
            };
            let remove = match self.owner(id).await? {
                Owner::Unfinished => false,
                Owner::Finished => object.modified < finished,
                Owner::Absent => object.modified < absent,
            };
            if remove {
                self.reaper.objects.delete(&object.key).await?;
                info!(key = %object.key, "reaper removed the normalized object of a finished task");
                self.removed.normalized_objects += 1;
            }
        }
        Ok(())
    }

    /// `work/task-{task id}-…` of a finished or unknown task (a worker's
    /// scratch copy that a crash kept from being removed).
    async fn work_dirs(&mut self) -> Result<(), StepError> {
        let old = self.before(self.reaper.config.min_age);
        for (path, name, modified) in entries(&self.reaper.config.work_dir)? {
            let Some(rest) = name.strip_prefix("task-") else {
                continue;
            };
            let remove = match rest.get(..36).and_then(|id| id.parse::<TaskId>().ok()) {
                Some(id) => self.owner(id).await? != Owner::Unfinished,
                // Named before folders carried their task id.
                None => modified < old,
            };
            if remove {
                remove_path(&path)?;
                info!(path = %path.display(), "reaper removed a work folder");
                self.removed.work_dirs += 1;
            }
        }
        Ok(())
    }

    /// `datasources/{name}/.{task id}.{…}.staging` of a finished or unknown
    /// task: a publish that never happened (the manifest never lists them).
    async fn staging_files(&mut self) -> Result<(), StepError> {
        let Some(sink_dir) = self.reaper.config.sink_dir.clone() else {
            return Ok(());
        };
        let finished = self.before(FINISHED_GRACE);
        for (datasource, _, _) in entries(&sink_dir)? {
            if !datasource.is_dir() {
                continue;
            }
            for (path, name, modified) in entries(&datasource)? {
                let id = name
                    .strip_prefix('.')
                    .filter(|_| name.ends_with(".staging"))
                    .and_then(|rest| rest.split('.').next())
                    .and_then(|id| id.parse::<TaskId>().ok());
                let Some(id) = id else { continue };
                if modified < finished && self.owner(id).await? != Owner::Unfinished {
                    remove_path(&path)?;
                    info!(path = %path.display(), "reaper removed a staging file");
                    self.removed.staging_files += 1;
                }
            }
        }
        Ok(())
    }
}

/// A folder's entries: path, name, last modified (a missing folder has none).
fn entries(dir: &Path) -> std::io::Result<Vec<(PathBuf, String, DateTime<Utc>)>> {
    let listing = match std::fs::read_dir(dir) {
        Ok(listing) => listing,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut found = Vec::new();
    for entry in listing {
        let entry = entry?;
        let modified = entry.metadata()?.modified()?;
        found.push((
            entry.path(),
            entry.file_name().to_string_lossy().into_owned(),
            DateTime::<Utc>::from(modified),
        ));
    }
    Ok(found)
}

fn remove_path(path: &Path) -> std::io::Result<()> {
    let outcome = if path.is_dir() {
        std::fs::remove_dir_all(path)
    } else {
        std::fs::remove_file(path)
    };
    match outcome {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}
