//! The life of an upload after it is stored: workers claim tasks from the
//! task store, validate them with Polars off the async runtime, and hand the
//! normalized rows to a sink (local Parquet or Druid).

mod druid_sink;
mod error;
mod local_sink;
mod sink;
mod worker;

pub use druid_sink::{druid_hint, DruidSink, DruidSinkConfig};
pub use error::{PipelineError, SinkError, SinkErrorKind};
pub use local_sink::LocalParquetSink;
pub use sink::{DruidProgress, Sink, SinkJob, SinkOutcome};
pub use worker::{Pipeline, PipelineConfig};
