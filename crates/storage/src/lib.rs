//! Where bytes and task records live: an object store (local folder or S3)
//! and a task store (SQLite or Postgres), each behind a small trait so the
//! rest of the service does not care which backend is configured.

pub mod object;
pub mod tasks;
pub mod tokens;

mod db;
mod error;

pub use db::DbTimeouts;
pub use error::{StorageError, StorageErrorKind};
pub use object::{ListedObject, ObjectStore, S3Location, UploadSink};
pub use tasks::{
    Claim, KeyRecord, LeaseToken, PostgresTaskStore, QueueStats, SqliteTaskStore, TaskFilter,
    TaskOrder, TaskPage, TaskSortKey, TaskStore,
};
pub use tokens::{PostgresTokenStore, SqliteTokenStore, TokenStore};

pub type Result<T, E = StorageError> = std::result::Result<T, E>;
