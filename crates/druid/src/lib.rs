//! Apache Druid: a typed native-batch ingestion spec and a client for the
//! Overlord, the sampler, the Coordinator and Druid SQL (through the router).

mod client;
mod error;
mod spec;
mod urls;

pub use client::{
    timestamp, varchar, Credentials, DruidClient, IngestionStats, LiveRows, SamplerOutcome,
    TaskReport, TaskState, TaskStatusCode,
};
pub use error::DruidError;
pub use spec::{DimensionType, IngestionPlan, SegmentGranularity, SpecColumn, LINEAGE_COLUMN};
pub use urls::DruidUrls;
