//! The embedded sink: each accepted file becomes one Parquet file under
//! `datasources/{name}/`, queried with Polars. `append` adds a file;
//! `replace` drops the datasource's rows in the time chunks the file covers
//! (`ReplaceWindow`, the same chunks as in Druid) and adds the file: files
//! with no rows there stay as they are, files with only such rows leave the
//! manifest, and files with both are rewritten without them, a slice of
//! rows at a time (bounded memory), before the commit point.
//!
//! Crash-proof publishing: what a datasource holds is the list in its
//! `MANIFEST.json`, never the folder listing. A publish writes its file
//! under a hidden name and fsyncs it, then, holding the datasource's lock
//! file (`.lock`, an OS file lock: appends and replaces of one datasource
//! take turns, across processes on this host too), renames it into place
//! and switches the manifest (temp → fsync → rename → fsync of the folder).
//! That rename of the manifest is the commit point: readers see the old
//! list or the new one, never a mix, and a replace cannot delete an append
//! that committed before it. Files the manifest no longer lists are removed
//! afterwards; a crash in between leaves only invisible leftovers. A
//! publish whose file the manifest already lists (a re-run after a crash
//! past the commit point) does nothing again, so each upload is held once.

use std::{
    collections::BTreeMap,
    fs::File,
    io::Write,
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use ingest_domain::{
    DatasourceColumn, DatasourceName, DatasourceSummary, Faults, Granularity, IngestMode,
    ReplaceWindow, TaskId, TimePoint,
};
use ingest_validation::{OutputFormat, TIME_COLUMN};
use polars::prelude::*;
use serde::{Deserialize, Serialize};

use crate::sink::{
    DatasourceQuery, DruidProgress, IngestSink, Row, SinkJob, SinkOutcome, SinkProbe,
};
use crate::SinkError;

pub struct LocalParquetSink {
    root: PathBuf,
}

fn internal(action: &str, error: impl std::fmt::Display) -> SinkError {
    SinkError::new(
        "local_sink_failed",
        format!("the local Parquet sink could not {action}: {error}"),
        Some("Check that the data directory (INGEST_DATA_DIR) is writable and has free space."),
    )
}

impl LocalParquetSink {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            root: data_dir.join("datasources"),
        }
    }

    fn dir_of(&self, name: &str) -> PathBuf {
        self.root.join(name)
    }

    /// The datasource's files, in publishing order; `None` when it has
    /// none (or no folder).
    fn files_of(dir: &Path) -> Result<Option<Vec<PathBuf>>, SinkError> {
        let files = Manifest::read(dir)?
            .files
            .into_iter()
            .map(|name| dir.join(name))
            .collect::<Vec<_>>();
        Ok((!files.is_empty()).then_some(files))
    }

    async fn blocking<T: Send + 'static>(
        action: &'static str,
        work: impl FnOnce() -> Result<T, SinkError> + Send + 'static,
    ) -> Result<T, SinkError> {
        match tokio::task::spawn_blocking(work).await {
            Ok(outcome) => outcome,
            // A panic is a bug, not a sink failure: let it reach the worker,
            // which fails the task with `internal_error`.
            Err(e) if e.is_panic() => std::panic::resume_unwind(e.into_panic()),
            Err(e) => Err(internal(action, e)),
        }
    }
}

fn scan(path: &Path) -> PolarsResult<LazyFrame> {
    LazyFrame::scan_parquet(
        PlRefPath::new(path.to_string_lossy().as_ref()),
        ScanArgsParquet::default(),
    )
}

fn type_name(dtype: &DataType) -> &'static str {
    match dtype {
        DataType::Boolean => "boolean",
        DataType::Float32 | DataType::Float64 => "double",
        dt if dt.is_integer() => "long",
        _ => "string",
    }
}

fn summarize(name: &str, dir: &Path) -> Result<Option<DatasourceSummary>, SinkError> {
    let Some(files) = LocalParquetSink::files_of(dir)? else {
        return Ok(None);
    };
    let mut summary = DatasourceSummary {
        name: name.to_owned(),
        row_count: 0,
        min_time: None,
        max_time: None,
        columns: Vec::new(),
    };
    for file in files {
        let mut lazy = scan(&file).map_err(|e| internal("read a datasource file", e))?;
        let schema = lazy
            .collect_schema()
            .map_err(|e| internal("read a schema", e))?;
        for (column, dtype) in schema.iter() {
            if !summary.columns.iter().any(|c| c.name == column.as_str()) {
                summary.columns.push(DatasourceColumn {
                    name: column.to_string(),
                    column_type: if column.as_str() == TIME_COLUMN {
                        "timestamp"
                    } else {
                        type_name(dtype)
                    }
                    .to_owned(),
                });
            }
        }
        let stats = lazy
            .select([
                len().alias("rows"),
                col(TIME_COLUMN).min().alias("min"),
                col(TIME_COLUMN).max().alias("max"),
            ])
            .collect()
            .map_err(|e| internal("count rows", e))?;
        let value = |column: &str| -> Option<i64> {
            stats.column(column).ok()?.get(0).ok()?.extract::<i64>()
        };
        summary.row_count += value("rows").unwrap_or(0).max(0) as u64;
        let as_time = |v: Option<i64>| v.and_then(chrono::DateTime::from_timestamp_millis);
        if let Some(min) = as_time(value("min")) {
            summary.min_time = Some(summary.min_time.map_or(min, |m| m.min(min)));
        }
        if let Some(max) = as_time(value("max")) {
            summary.max_time = Some(summary.max_time.map_or(max, |m| m.max(max)));
        }
    }
    Ok(Some(summary))
}

fn bucket_counts(dir: &Path, width: i64) -> Result<Option<Vec<TimePoint>>, SinkError> {
    let Some(files) = LocalParquetSink::files_of(dir)? else {
        return Ok(None);
    };
    let mut buckets: BTreeMap<i64, u64> = BTreeMap::new();
    for file in files {
        let time = col(TIME_COLUMN);
        let frame = scan(&file)
            .and_then(|lazy| {
                lazy.select([(time.clone() - time % lit(width)).alias("bucket")])
                    .group_by([col("bucket")])
                    .agg([len().alias("rows")])
                    .collect()
            })
            .map_err(|e| internal("group rows by time", e))?;
        let starts = frame.column("bucket").and_then(|c| c.i64().cloned());
        let counts = frame.column("rows").and_then(|c| c.cast(&DataType::UInt64));
        let (Ok(starts), Ok(counts)) = (starts, counts) else {
            return Err(internal("read grouped rows", "unexpected column types"));
        };
        let counts = counts
            .u64()
            .map_err(|e| internal("read grouped rows", e))?
            .clone();
        for (start, count) in starts.iter().zip(counts.iter()) {
            if let (Some(start), Some(count)) = (start, count) {
                *buckets.entry(start).or_default() += count;
            }
        }
    }
    Ok(Some(
        buckets
            .into_iter()
            .filter_map(|(start, rows)| {
                chrono::DateTime::from_timestamp_millis(start).map(|time| TimePoint { time, rows })
            })
            .collect(),
    ))
}

fn count_rows(path: &Path) -> Result<u64, SinkError> {
    let frame = scan(path)
        .and_then(|lazy| lazy.select([len().alias("rows")]).collect())
        .map_err(|e| internal("count stored rows", e))?;
    let rows = frame
        .column("rows")
        .ok()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>());
    rows.ok_or_else(|| internal("count stored rows", "no count returned"))
}

/// What a datasource holds: its data files, by name, in publishing order.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Manifest {
    files: Vec<String>,
}

const MANIFEST: &str = "MANIFEST.json";

impl Manifest {
    /// The committed list; a folder from before manifests existed holds
    /// every Parquet file in it.
    fn read(dir: &Path) -> Result<Self, SinkError> {
        match std::fs::read(dir.join(MANIFEST)) {
            Ok(bytes) => {
                serde_json::from_slice(&bytes).map_err(|e| internal("read the manifest", e))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Self::from_listing(dir),
            Err(e) => Err(internal("read the manifest", e)),
        }
    }

    fn from_listing(dir: &Path) -> Result<Self, SinkError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(internal("list datasource files", e)),
        };
        let mut files: Vec<String> = entries
            .filter_map(|entry| entry.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".parquet") && !name.starts_with('.'))
            .collect();
        files.sort();
        Ok(Self { files })
    }

    /// The commit point: temp → fsync → rename over the old one → fsync dir.
    fn write(&self, dir: &Path) -> Result<(), SinkError> {
        let temp = dir.join(format!(".{MANIFEST}.tmp"));
        let bytes = serde_json::to_vec(self).map_err(|e| internal("write the manifest", e))?;
        write_synced(&temp, &bytes).map_err(|e| internal("write the manifest", e))?;
        std::fs::rename(&temp, dir.join(MANIFEST))
            .map_err(|e| internal("switch the manifest", e))?;
        sync_dir(dir)
    }
}

fn file_name(task_id: TaskId) -> String {
    format!("{task_id}.parquet")
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = File::create(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

fn sync_dir(dir: &Path) -> Result<(), SinkError> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| internal("sync the datasource folder", e))
}

/// Copies the normalized file next to the datasource under a hidden name and
/// makes it durable; nothing is visible yet.
fn stage(dir: &Path, source: &Path, task_id: TaskId) -> Result<PathBuf, SinkError> {
    std::fs::create_dir_all(dir).map_err(|e| internal("create the datasource folder", e))?;
    let staged = dir.join(format!(".{task_id}.{}.staging", uuid::Uuid::new_v4()));
    std::fs::copy(source, &staged).map_err(|e| internal("copy the file", e))?;
    File::open(&staged)
        .and_then(|f| f.sync_all())
        .map_err(|e| internal("sync the file", e))?;
    Ok(staged)
}

/// Takes the datasource's lock (blocking until the publish ahead of us is
/// done); released when the file is dropped. An OS lock dies with its
/// process, so a crash never leaves a datasource locked. The local sink is
/// single-host by nature (its files live on this disk), so a lock file
/// serialises every writer there is.
fn lock(dir: &Path) -> Result<File, SinkError> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(".lock"))
        .map_err(|e| internal("open the datasource lock", e))?;
    file.lock()
        .map_err(|e| internal("lock the datasource", e))?;
    Ok(file)
}

/// What a publish will switch the manifest to, prepared under the lock
/// before the commit point.
struct Plan {
    /// The manifest already lists this upload (an earlier attempt committed).
    done: bool,
    /// The files that stay (some rewritten), in order; the new file follows.
    keep: Vec<String>,
    /// Rewritten files, not listed yet: removed if the publish goes no further.
    written: Vec<PathBuf>,
}

impl Plan {
    fn abandon(self) {
        for path in self.written {
            std::fs::remove_file(path).ok();
        }
    }
}

/// Under the datasource lock: decides what stays. Append keeps every file;
/// replace keeps the rows outside `window`, rewriting files that hold rows
/// on both sides.
fn prepare(dir: &Path, task_id: TaskId, window: Option<ReplaceWindow>) -> Result<Plan, SinkError> {
    if !dir.join(MANIFEST).exists() {
        // Pin down what a manifest-less folder holds before a new file
        // lands in it, or a crash right after the rename would publish it.
        Manifest::from_listing(dir)?.write(dir)?;
    }
    let manifest = Manifest::read(dir)?;
    let mut plan = Plan {
        done: manifest.files.contains(&file_name(task_id)),
        keep: Vec::new(),
        written: Vec::new(),
    };
    let Some(window) = window.filter(|_| !plan.done) else {
        plan.keep = manifest.files;
        return Ok(plan);
    };
    for (n, name) in manifest.files.into_iter().enumerate() {
        let path = dir.join(&name);
        let inside = count_between(&path, window)?;
        if inside == 0 {
            plan.keep.push(name);
        } else if inside < count_rows(&path)? {
            let kept = format!("{task_id}-kept-{n}.parquet");
            let written = dir.join(&kept);
            if let Err(e) = rewrite_outside(&path, &written, window) {
                std::fs::remove_file(&written).ok();
                plan.abandon();
                return Err(e);
            }
            plan.written.push(written);
            plan.keep.push(kept);
        }
    }
    Ok(plan)
}

/// Rows per slice when rewriting a file: what one rewrite holds in memory.
const REWRITE_ROWS: usize = 65_536;

/// Writes the rows of `source` outside `window` to `target` (durably), one
/// slice of rows at a time.
fn rewrite_outside(source: &Path, target: &Path, window: ReplaceWindow) -> Result<(), SinkError> {
    let fail = |e: PolarsError| internal("rewrite a datasource file", e);
    let schema = scan(source)
        .and_then(|mut l| l.collect_schema())
        .map_err(fail)?;
    let total = usize::try_from(count_rows(source)?).unwrap_or(usize::MAX);
    let out = File::create(target).map_err(|e| internal("create a rewritten file", e))?;
    let mut writer = ParquetWriter::new(out)
        .with_compression(ParquetCompression::Snappy)
        .batched(&schema)
        .map_err(fail)?;
    let (start, end) = window.millis();
    let outside = col(TIME_COLUMN)
        .lt(lit(start))
        .or(col(TIME_COLUMN).gt_eq(lit(end)));
    for offset in (0..total).step_by(REWRITE_ROWS) {
        let file = File::open(source).map_err(|e| internal("read a datasource file", e))?;
        let slice = ParquetReader::new(file)
            .with_slice(Some((offset, REWRITE_ROWS.min(total - offset))))
            .finish()
            .and_then(|frame| frame.lazy().filter(outside.clone()).collect())
            .map_err(fail)?;
        writer.write_batch(&slice).map_err(fail)?;
    }
    writer.finish().map_err(fail)?;
    File::open(target)
        .and_then(|f| f.sync_all())
        .map_err(|e| internal("sync a rewritten file", e))
}

/// Rows of one file with `__time` in `window`.
fn count_between(path: &Path, window: ReplaceWindow) -> Result<u64, SinkError> {
    let (start, end) = window.millis();
    let time = col(TIME_COLUMN);
    let frame = scan(path)
        .and_then(|lazy| {
            lazy.filter(time.clone().gt_eq(lit(start)).and(time.lt(lit(end))))
                .select([len().alias("rows")])
                .collect()
        })
        .map_err(|e| internal("count rows in a time range", e))?;
    let rows = frame
        .column("rows")
        .ok()
        .and_then(|c| c.get(0).ok())
        .and_then(|v| v.extract::<u64>());
    rows.ok_or_else(|| internal("count rows in a time range", "no count returned"))
}

/// Under the datasource lock, past the commit mark: puts the staged file in
/// place and switches the manifest to the plan's files plus this one, then
/// removes what the manifest no longer lists. Returns the rows now held
/// from it.
fn publish(
    dir: &Path,
    staged: &Path,
    task_id: TaskId,
    plan: Plan,
    faults: &Faults,
) -> Result<u64, SinkError> {
    let name = file_name(task_id);
    let final_path = dir.join(&name);
    if plan.done {
        // Committed by an earlier attempt of this upload.
        std::fs::remove_file(staged).ok();
        return count_rows(&final_path);
    }
    faults.hit("before_publish");
    std::fs::rename(staged, &final_path).map_err(|e| internal("publish the file", e))?;
    sync_dir(dir)?;
    let mut manifest = Manifest { files: plan.keep };
    manifest.files.push(name);
    manifest.write(dir)?;
    faults.hit("after_publish");
    remove_unlisted(dir, &manifest);
    count_rows(&final_path)
}

/// Data files the manifest does not list (replaced, or left by a crash
/// before a switch) are invisible; remove them. Staged files of publishes
/// waiting for the lock are hidden names and stay.
fn remove_unlisted(dir: &Path, manifest: &Manifest) {
    let Ok(listing) = Manifest::from_listing(dir) else {
        return;
    };
    for name in listing.files {
        if !manifest.files.contains(&name) {
            if let Err(e) = std::fs::remove_file(dir.join(&name)) {
                tracing::warn!(file = %name, error = %e, "could not remove replaced data");
            }
        }
    }
}

#[async_trait]
impl IngestSink for LocalParquetSink {
    fn normalized_format(&self) -> OutputFormat {
        OutputFormat::Parquet
    }

    async fn ingest(
        &self,
        job: SinkJob<'_>,
        progress: &mut dyn DruidProgress,
    ) -> Result<SinkOutcome, SinkError> {
        let dir = self.dir_of(job.task.datasource.as_str());
        let (source, task_id) = (job.normalized.to_owned(), job.task.task_id);
        let window = (job.task.mode == IngestMode::Replace)
            .then(|| ReplaceWindow::of_report(job.report, job.task.created_at));
        let staged = {
            let dir = dir.clone();
            Self::blocking("stage the file", move || stage(&dir, &source, task_id)).await?
        };
        let lock = {
            let dir = dir.clone();
            Self::blocking("lock the datasource", move || lock(&dir)).await?
        };
        // Under the lock (so nothing changes the files it reads), what stays
        // is prepared: a replace rewrites files here, before the commit.
        let plan = {
            let dir = dir.clone();
            Self::blocking("prepare the replace", move || {
                prepare(&dir, task_id, window)
            })
            .await
        };
        let plan = match plan {
            Ok(plan) => plan,
            Err(e) => {
                std::fs::remove_file(&staged).ok();
                return Err(e);
            }
        };
        // Under the lock, right before the commit point (the manifest
        // switch), a fenced save marks the task committed: a cancelled or
        // superseded attempt must not publish, and once marked, a cancel is
        // refused (409) — no window where both could happen.
        if !progress.commit().await {
            std::fs::remove_file(&staged).ok();
            plan.abandon();
            return Err(SinkError::new(
                "lease_unconfirmed",
                "the worker could not confirm it still holds the task before publishing",
                None,
            )
            .retryable());
        }
        let faults = job.faults.clone();
        Self::blocking("publish the file", move || {
            let rows = publish(&dir, &staged, task_id, plan, &faults)?;
            drop(lock);
            Ok(SinkOutcome { rows, druid: None })
        })
        .await
    }

    async fn delete_datasource(&self, name: &DatasourceName) -> Result<bool, SinkError> {
        let dir = self.dir_of(name.as_str());
        Self::blocking("delete the datasource", move || delete_all(&dir)).await
    }
}

/// Empties the datasource at once for readers: under its lock, the manifest
/// switches to no files (the same commit point as a publish), then the files
/// go. A publish queued behind the lock lands afterwards, in an empty
/// datasource.
fn delete_all(dir: &Path) -> Result<bool, SinkError> {
    if !dir.is_dir() {
        return Ok(false);
    }
    let lock = lock(dir)?;
    if Manifest::read(dir)?.files.is_empty() {
        return Ok(false);
    }
    let empty = Manifest::default();
    empty.write(dir)?;
    remove_unlisted(dir, &empty);
    drop(lock);
    Ok(true)
}

fn size_of(dir: &Path) -> Result<Option<u64>, SinkError> {
    let Some(files) = LocalParquetSink::files_of(dir)? else {
        return Ok(None);
    };
    let mut bytes = 0;
    for file in files {
        bytes += std::fs::metadata(&file)
            .map_err(|e| internal("read a file size", e))?
            .len();
    }
    Ok(Some(bytes))
}

/// The first `limit` rows by time over every file of the datasource: each
/// file gives its own first `limit`, then the smallest win.
fn first_rows(dir: &Path, limit: usize) -> Result<Option<Vec<Row>>, SinkError> {
    let Some(files) = LocalParquetSink::files_of(dir)? else {
        return Ok(None);
    };
    let mut rows: Vec<(i64, Row)> = Vec::new();
    for file in files {
        let frame = scan(&file)
            .and_then(|lazy| {
                lazy.sort([TIME_COLUMN], SortMultipleOptions::default())
                    .limit(IdxSize::try_from(limit).unwrap_or(IdxSize::MAX))
                    .collect()
            })
            .map_err(|e| internal("read sample rows", e))?;
        for index in 0..frame.height() {
            let mut row = Row::new();
            let mut time = i64::MIN;
            for column in frame.columns() {
                let value = column.get(index).unwrap_or(AnyValue::Null);
                let value = if column.name().as_str() == TIME_COLUMN {
                    time = value.extract::<i64>().unwrap_or(i64::MIN);
                    chrono::DateTime::from_timestamp_millis(time)
                        .map(|t| {
                            serde_json::Value::String(
                                t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                            )
                        })
                        .unwrap_or(serde_json::Value::Null)
                } else {
                    json_value(&value)
                };
                row.insert(column.name().to_string(), value);
            }
            rows.push((time, row));
        }
    }
    rows.sort_by_key(|(time, _)| *time);
    rows.truncate(limit);
    Ok(Some(rows.into_iter().map(|(_, row)| row).collect()))
}

fn json_value(value: &AnyValue<'_>) -> serde_json::Value {
    use serde_json::Value;
    match value {
        AnyValue::Null => Value::Null,
        AnyValue::Boolean(b) => Value::Bool(*b),
        AnyValue::String(s) => Value::String((*s).to_owned()),
        AnyValue::StringOwned(s) => Value::String(s.to_string()),
        AnyValue::Float32(f) => {
            serde_json::Number::from_f64(f64::from(*f)).map_or(Value::Null, Value::Number)
        }
        AnyValue::Float64(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
        v if v.is_signed_integer() => v.extract::<i64>().map_or(Value::Null, Value::from),
        v if v.is_unsigned_integer() => v.extract::<u64>().map_or(Value::Null, Value::from),
        other => Value::String(other.to_string()),
    }
}

#[async_trait]
impl DatasourceQuery for LocalParquetSink {
    async fn datasources(&self) -> Result<Vec<DatasourceSummary>, SinkError> {
        let root = self.root.clone();
        Self::blocking("list datasources", move || {
            let mut names: Vec<String> = match std::fs::read_dir(&root) {
                Ok(entries) => entries
                    .filter_map(|e| e.ok())
                    .filter(|e| e.path().is_dir())
                    .map(|e| e.file_name().to_string_lossy().into_owned())
                    .collect(),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
                Err(e) => return Err(internal("list datasources", e)),
            };
            names.sort();
            let mut out = Vec::new();
            for name in names {
                if let Some(summary) = summarize(&name, &root.join(&name))? {
                    out.push(summary);
                }
            }
            Ok(out)
        })
        .await
    }

    async fn datasource(
        &self,
        name: &DatasourceName,
    ) -> Result<Option<DatasourceSummary>, SinkError> {
        let (name, dir) = (name.to_string(), self.dir_of(name.as_str()));
        Self::blocking("describe the datasource", move || summarize(&name, &dir)).await
    }

    async fn rows_between(
        &self,
        name: &DatasourceName,
        window: ReplaceWindow,
    ) -> Result<u64, SinkError> {
        let dir = self.dir_of(name.as_str());
        Self::blocking("count rows in a time range", move || {
            let mut rows = 0;
            for file in Self::files_of(&dir)?.unwrap_or_default() {
                rows += count_between(&file, window)?;
            }
            Ok(rows)
        })
        .await
    }

    async fn timeseries(
        &self,
        name: &DatasourceName,
        granularity: Granularity,
    ) -> Result<Option<Vec<TimePoint>>, SinkError> {
        let dir = self.dir_of(name.as_str());
        Self::blocking("build the time series", move || {
            bucket_counts(&dir, granularity.millis())
        })
        .await
    }

    async fn sample(
        &self,
        name: &DatasourceName,
        limit: usize,
    ) -> Result<Option<Vec<Row>>, SinkError> {
        let dir = self.dir_of(name.as_str());
        Self::blocking("read sample rows", move || first_rows(&dir, limit)).await
    }

    async fn size_bytes(&self, name: &DatasourceName) -> Result<Option<u64>, SinkError> {
        let dir = self.dir_of(name.as_str());
        Self::blocking("measure the datasource", move || size_of(&dir)).await
    }
}

#[async_trait]
impl SinkProbe for LocalParquetSink {
    fn name(&self) -> &'static str {
        "local_sink"
    }

    fn backend(&self) -> &'static str {
        "parquet"
    }

    async fn health(&self) -> Result<(), SinkError> {
        let root = self.root.clone();
        Self::blocking("check its folder", move || {
            std::fs::create_dir_all(&root).map_err(|e| internal("create its folder", e))?;
            let probe = tempfile::NamedTempFile::new_in(&root)
                .map_err(|e| internal("write to its folder", e))?;
            drop(probe);
            Ok(())
        })
        .await
    }
}
