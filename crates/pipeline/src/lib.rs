//! The life of an upload after it is stored: workers claim tasks from the
//! task store, validate them with Polars off the async runtime, and hand the
//! normalized rows to a sink (local Parquet or Druid).

mod druid_sink;
mod error;
mod handover;
mod local_sink;
pub mod metrics;
mod progress;
mod reaper;
mod sink;
mod worker;

/// Where a task's normalized file (or each of its parts) is stored.
pub use druid_sink::parts::normalized_key;
pub use druid_sink::{druid_hint, DruidInput, DruidSink, DruidSinkConfig};
pub use error::{PipelineError, SinkError, SinkErrorKind};
pub use local_sink::LocalParquetSink;
pub use reaper::{Reaper, ReaperConfig, ReaperCounts, Removed};
pub use sink::{
    CancelCheck, DatasourceQuery, DruidProgress, IngestSink, Row, SinkJob, SinkOutcome, SinkProbe,
    Sinks,
};
pub use worker::{Pipeline, PipelineConfig};
