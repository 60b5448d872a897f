//! Where validated rows go.

use std::path::Path;

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
}

#[async_trait]
pub trait Sink: Send + Sync + 'static {
    /// `local_sink` or `druid`: the name of its health check.
    fn name(&self) -> &'static str;
    /// What backs it, for health reports (`parquet`, `druid`).
    fn backend(&self) -> &'static str;
    /// The layout of the normalized file it reads.
    fn normalized_format(&self) -> OutputFormat;
    async fn ingest(
        &self,
        job: SinkJob<'_>,
        progress: &mut dyn DruidProgress,
    ) -> Result<SinkOutcome, SinkError>;
    async fn health(&self) -> Result<(), SinkError>;
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
}
