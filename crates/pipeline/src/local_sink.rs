//! The embedded sink: each accepted file becomes one Parquet file under
//! `datasources/{name}/`, queried with Polars. `append` adds a file;
//! `replace` makes the new file the datasource's only one.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use async_trait::async_trait;
use ingest_domain::{
    DatasourceColumn, DatasourceName, DatasourceSummary, Granularity, IngestMode, TimePoint,
};
use ingest_validation::{OutputFormat, TIME_COLUMN};
use polars::prelude::*;

use crate::sink::{DruidProgress, Sink, SinkJob, SinkOutcome};
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

    /// The datasource's files, oldest first (task ids sort by time); `None`
    /// when it has none (or no folder).
    fn files_of(dir: &Path) -> Result<Option<Vec<PathBuf>>, SinkError> {
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(internal("list datasource files", e)),
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "parquet"))
            .collect();
        files.sort();
        Ok((!files.is_empty()).then_some(files))
    }

    async fn blocking<T: Send + 'static>(
        action: &'static str,
        work: impl FnOnce() -> Result<T, SinkError> + Send + 'static,
    ) -> Result<T, SinkError> {
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| internal(action, e))?
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

#[async_trait]
impl Sink for LocalParquetSink {
    fn name(&self) -> &'static str {
        "local_sink"
    }

    fn backend(&self) -> &'static str {
        "parquet"
    }

    fn normalized_format(&self) -> OutputFormat {
        OutputFormat::Parquet
    }

    async fn ingest(
        &self,
        job: SinkJob<'_>,
        _progress: &mut dyn DruidProgress,
    ) -> Result<SinkOutcome, SinkError> {
        let dir = self.dir_of(job.task.datasource.as_str());
        let source = job.normalized.to_owned();
        let final_path = dir.join(format!("{}.parquet", job.task.task_id));
        let mode = job.task.mode;
        let job_id = job.task.task_id;
        Self::blocking("store the file", move || {
            std::fs::create_dir_all(&dir)
                .map_err(|e| internal("create the datasource folder", e))?;
            // Copy under a hidden name, then rename: readers never see half a file.
            let staging = dir.join(format!(".{}.staging", job_id));
            std::fs::copy(&source, &staging).map_err(|e| internal("copy the file", e))?;
            std::fs::rename(&staging, &final_path).map_err(|e| internal("publish the file", e))?;
            if mode == IngestMode::Replace {
                for other in Self::files_of(&dir)?.unwrap_or_default() {
                    if other != final_path {
                        std::fs::remove_file(&other)
                            .map_err(|e| internal("remove replaced data", e))?;
                    }
                }
            }
            Ok(SinkOutcome {
                rows: count_rows(&final_path)?,
                druid: None,
            })
        })
        .await
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
}
