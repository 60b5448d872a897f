//! Where validated rows go.

use std::{path::Path, sync::Arc};

use async_trait::async_trait;
use ingest_domain::{
    DatasourceName, DatasourceSummary, DruidState, Faults, Granularity, ReplaceWindow, Task,
    TimePoint, ValidationReport,
};

use ingest_validation::OutputFormat;

use crate::SinkError;

/// One normalized file to ingest.
pub struct SinkJob<'a> {
    pub task: &'a Task,
    /// Written by validation in the sink's `normalized_format`: `__time`
    /// first, then typed columns.
    pub normalized: &'a Path,
    pub report: &'a ValidationReport,
    /// Test aid: the points a sink may be stopped at (`INGEST_FAULT`).
    pub faults: &'a Faults,
}

#[derive(Debug, Clone, Default)]
pub struct SinkOutcome {
    /// Rows the sink holds from this file.
    pub rows: u64,
    pub druid: Option<DruidState>,
}

/// Lets a long-running sink publish progress; `false` means the task was
/// cancelled and the sink should stop (and clean up).
#[async_trait]
pub trait DruidProgress: Send {
    async fn update(&mut self, state: DruidState) -> bool;
    /// Records on the task that this attempt reaches the sink's commit
    /// point (a fenced save of `Task::commit`): from then on the task cannot
    /// be cancelled. `false` means the attempt no longer holds the task (or
    /// the store did not answer): a sink asking *before* its commit point
    /// must then not publish.
    async fn commit(&mut self) -> bool {
        true
    }
    /// The sink is about to start work outside this process (a Druid task):
    /// from then on a shutdown lets the attempt finish instead of handing the
    /// task back, since a dropped attempt could stop that work only on a
    /// best-effort call. `false`: a shutdown already stopped the attempt.
    async fn external(&mut self) -> bool {
        true
    }
    /// Row counters of the outside work while it runs (Druid's live report:
    /// rows processed so far, its phase), published as the task's progress
    /// at most once per progress interval. Best effort.
    async fn rows(&mut self, _processed: Option<u64>, _phase: Option<String>) {}
    /// Druid's counters at its verdict (`SUCCESS`), published at once, not
    /// held back by the progress interval: the bar ends where Druid ended
    /// while the rows become queryable, and a test can see that the
    /// counters were read. Best effort.
    async fn final_rows(&mut self, _processed: Option<u64>, _phase: Option<String>) {}
    /// The upload waits before Druid runs it (`Some`: for a Druid task slot
    /// of this server, or for another upload to its datasource), or no
    /// longer (`None`); published at once, so that a queued upload does not
    /// look as if Druid were ingesting it. Best effort.
    async fn waiting(&mut self, _wait: Option<ingest_domain::IngestionWait>) {}
}

/// What a sink found when asked to stop its outside work before a cancel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelCheck {
    /// Nothing of the upload is or will become visible: the cancel goes on.
    Stopped,
    /// The outside work had already passed the sink's commit point (Druid
    /// reported `SUCCESS`): the cancel must be refused.
    Committed,
}

/// The writes: what a worker needs to put a file into the sink, and the
/// removal of a whole datasource.
#[async_trait]
pub trait IngestSink: Send + Sync + 'static {
    /// The layout of the normalized file it reads.
    fn normalized_format(&self) -> OutputFormat;
    async fn ingest(
        &self,
        job: SinkJob<'_>,
        progress: &mut dyn DruidProgress,
    ) -> Result<SinkOutcome, SinkError>;
    /// Removes everything the datasource holds, at once for readers;
    /// `false` when there was no such datasource.
    async fn delete_datasource(&self, name: &DatasourceName) -> Result<bool, SinkError>;
    /// Before a cancel of `task` is saved: stops what the sink runs for it
    /// outside this process and says whether that had already committed.
    /// Stopping first, then cancelling, means a commit outside can never
    /// land after a cancel was answered. Sinks that do all their work in
    /// the worker (the local sink, fenced by its lease) have nothing to stop.
    async fn stop_for_cancel(&self, _task: &Task) -> CancelCheck {
        CancelCheck::Stopped
    }
}

/// The reads behind the API's datasource pages: never the ingest path.
#[async_trait]
pub trait DatasourceQuery: Send + Sync + 'static {
    async fn datasources(&self) -> Result<Vec<DatasourceSummary>, SinkError>;
    async fn datasource(
        &self,
        name: &DatasourceName,
    ) -> Result<Option<DatasourceSummary>, SinkError>;
    /// Rows of `name` with a time in `window` (0 when it does not exist):
    /// what a replace of that window drops.
    async fn rows_between(
        &self,
        name: &DatasourceName,
        window: ReplaceWindow,
    ) -> Result<u64, SinkError>;
    async fn timeseries(
        &self,
        name: &DatasourceName,
        granularity: Granularity,
    ) -> Result<Option<Vec<TimePoint>>, SinkError>;
    /// The first `limit` rows by time, as JSON objects (`__time` as an
    /// RFC 3339 string); `None` when there is no such datasource.
    async fn sample(
        &self,
        name: &DatasourceName,
        limit: usize,
    ) -> Result<Option<Vec<Row>>, SinkError>;
    /// Bytes the sink keeps for the datasource (local: its Parquet files;
    /// Druid: its published segments), if it can tell.
    async fn size_bytes(&self, name: &DatasourceName) -> Result<Option<u64>, SinkError>;
}

/// A row of a sample: column name → value.
pub type Row = serde_json::Map<String, serde_json::Value>;

/// What the health check asks of the sink.
#[async_trait]
pub trait SinkProbe: Send + Sync + 'static {
    /// `local_sink` or `druid`: the name of its health check.
    fn name(&self) -> &'static str;
    /// What backs it, for health reports (`parquet`, `druid`).
    fn backend(&self) -> &'static str;
    async fn health(&self) -> Result<(), SinkError>;
}

/// One sink seen through its three roles: the worker holds `ingest`, the
/// API's read path `query`, the health check `probe`.
#[derive(Clone)]
pub struct Sinks {
    pub ingest: Arc<dyn IngestSink>,
    pub query: Arc<dyn DatasourceQuery>,
    pub probe: Arc<dyn SinkProbe>,
}

impl Sinks {
    pub fn of<S: IngestSink + DatasourceQuery + SinkProbe>(sink: S) -> Self {
        let sink = Arc::new(sink);
        Self {
            ingest: Arc::clone(&sink) as Arc<dyn IngestSink>,
            query: Arc::clone(&sink) as Arc<dyn DatasourceQuery>,
            probe: sink,
        }
    }
}
