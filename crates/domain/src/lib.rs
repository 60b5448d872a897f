//! Domain types shared by every crate: values are parsed once at the edge and
//! code behind the edge only ever sees valid ones.

mod auth;
mod column_stats;
mod column_types;
mod datasets;
mod datasource;
mod drift;
pub mod fault;
mod format;
mod preview;
mod progress;
mod rejection;
mod replace;
mod report;
mod task;
mod task_summary;
mod warning;

pub use auth::{
    parse_lifetime, ApiToken, InvalidLifetime, InvalidTokenName, Scope, TokenName, TokenUnusable,
    ENV_ADMIN_TOKEN_NAME, MAX_TOKEN_NAME_LEN,
};
pub use column_stats::{ColumnStats, HistogramBucket, ValueCount};
pub use column_types::{
    parse_column_types, parse_override_type, InvalidColumnTypes, MAX_COLUMN_TYPES,
};
pub use datasets::{DatasourceColumn, DatasourceSummary, Granularity, TimePoint};
pub use datasource::{DatasourceName, InvalidDatasourceName};
pub use drift::{
    OnSchemaChange, SchemaColumn, SchemaDrift, TimeColumnChange, TypeChange, ValidatedSchema,
    UNCOMPARED_COLUMNS,
};
pub use fault::Faults;
pub use format::{FileFormat, IngestMode, UnknownValue};
pub use preview::{FilePreview, PreviewRow, PREVIEW_ROWS};
pub use progress::{IngestionWait, TaskProgress, ValidationPass, WaitReason};
pub use rejection::{rejected_rows_key, RejectedRows, RejectionBudget, RejectionKind};
pub use replace::{ReplaceEffect, ReplaceWindow, SegmentGranularity};
pub use report::{
    ColumnProfile, ColumnType, Compression, EncodingSource, Problem, Severity, Sheet, TextEncoding,
    TimestampInfo, TimestampSource, ValidationReport,
};
pub use task::{
    DruidState, IllegalTransition, ReplaceConsent, Stage, StageName, StoredUpload, Task, TaskError,
    TaskId, TaskStatus,
};
pub use task_summary::TaskSummary;
pub use warning::Warning;
