//! Task records, which double as the work queue.

mod codec;
mod queries;
mod sql;

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ingest_domain::{Task, TaskId, TaskProgress, TaskStatus};

pub use postgres::PostgresTaskStore;
pub use sqlite::SqliteTaskStore;

use crate::Result;

/// Which tasks to list, and in which order (newest first by default).
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub status: Option<TaskStatus>,
    /// Part of a datasource name, in any case.
    pub datasource: Option<String>,
    pub order: TaskOrder,
    pub limit: u32,
    pub offset: u32,
}

/// What a task list can be sorted by. Sorting happens in the database, so
/// a sorted page is a page of the whole sorted list, not a sorted page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TaskSortKey {
    #[default]
    CreatedAt,
    FileName,
    Datasource,
    Status,
    Rows,
    Size,
}

impl TaskSortKey {
    pub const ALL: [Self; 6] = [
        Self::CreatedAt,
        Self::FileName,
        Self::Datasource,
        Self::Status,
        Self::Rows,
        Self::Size,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::CreatedAt => "created_at",
            Self::FileName => "file_name",
            Self::Datasource => "datasource",
            Self::Status => "status",
            Self::Rows => "row_count",
            Self::Size => "size_bytes",
        }
    }
}

impl std::str::FromStr for TaskSortKey {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let known: Vec<_> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!(
                    "cannot sort tasks by `{s}`; use one of {}",
                    known.join(", ")
                )
            })
    }
}

/// A sort key and direction; ties are broken newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskOrder {
    pub by: TaskSortKey,
    pub ascending: bool,
}

impl Default for TaskOrder {
    fn default() -> Self {
        Self {
            by: TaskSortKey::CreatedAt,
            ascending: false,
        }
    }
}

#[derive(Debug, Clone)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    pub total: u64,
}

/// The queue at one moment: tasks waiting for a worker (status `queued`)
/// and when the oldest of them was uploaded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct QueueStats {
    pub depth: u64,
    pub oldest_created_at: Option<DateTime<Utc>>,
}

/// Proof of one claim: a fresh random token per claim (so per worker and per
/// attempt, never shared), stored on the task row. Every write the claimant
/// makes must present it; once the lease is taken over, or the task is
/// cancelled or queued again, the token no longer matches and the write
/// changes nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LeaseToken(uuid::Uuid);

impl LeaseToken {
    pub(crate) fn new() -> Self {
        Self(uuid::Uuid::new_v4())
    }
}

impl std::fmt::Display for LeaseToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// A claimed task and the lease that fences its writes.
#[derive(Debug, Clone)]
pub struct Claim {
    pub task: Task,
    pub lease: LeaseToken,
}

/// What an `Idempotency-Key` stands for: all `None` while the first upload
/// with it is still arriving.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyRecord {
    pub task_id: Option<TaskId>,
    pub sha256: Option<String>,
    pub datasource: Option<String>,
    pub mode: Option<String>,
}

#[async_trait]
pub trait TaskStore: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for health reports.
    fn backend(&self) -> &'static str;
    /// Records a new task; it is queued for the workers in the same write.
    async fn insert(&self, task: &Task) -> Result<()>;
    async fn get(&self, id: TaskId) -> Result<Option<Task>>;
    async fn list(&self, filter: &TaskFilter) -> Result<TaskPage>;
    /// The newest task that uploaded content `sha256` to `datasource` and
    /// has not failed or been cancelled (its rows are, or will be, there).
    async fn same_content(&self, datasource: &str, sha256: &str) -> Result<Option<TaskId>>;
    /// Takes the oldest unfinished task that no live worker holds (and
    /// that is not waiting out a retry delay), leasing it to `owner` for
    /// `ttl` under a fresh token and counting the attempt.
    async fn claim(&self, owner: &str, ttl: Duration) -> Result<Option<Claim>>;
    /// Saves a claimed task's progress and renews the lease. `false` means
    /// the lease no longer holds (cancelled, queued again, or taken over):
    /// the worker must stop and write nothing more.
    async fn save(&self, task: &Task, lease: &LeaseToken, ttl: Duration) -> Result<bool>;
    /// Extends a lease that still holds; `false` as for `save`.
    async fn renew(&self, id: TaskId, lease: &LeaseToken, ttl: Duration) -> Result<bool>;
    /// Publishes how far the running stage has got, without touching the
    /// task itself. Fenced like `save` (`false`: the lease no longer holds),
    /// and only while the task is in the stage's status: once it moved on,
    /// a late publication changes nothing. A save that changes the status
    /// clears it.
    async fn save_progress(
        &self,
        id: TaskId,
        lease: &LeaseToken,
        progress: &TaskProgress,
    ) -> Result<bool>;
    /// Saves the task (e.g. with its last error) and lets go of the lease;
    /// any worker may claim it again from `retry_at`. `false` as for `save`.
    async fn release(
        &self,
        task: &Task,
        lease: &LeaseToken,
        retry_at: DateTime<Utc>,
    ) -> Result<bool>;
    /// Moves a validated task on (`Task::pass_schema_gate`: `ingesting`,
    /// or `failed` with `schema_drift`), comparing its schema with its
    /// datasource's. The read and the write happen under a per-datasource
    /// lock (Postgres: a transaction-scoped advisory lock; SQLite: the write
    /// lock), so uploads to one datasource pass the gate one at a time,
    /// each seeing the outcome of those before: two uploads with different
    /// schemas cannot both pass as "no drift". The datasource's schema is
    /// that of its newest other task that is ingesting or succeeded. Saved
    /// fenced by `lease`; `None` when the lease no longer holds.
    async fn pass_schema_gate(
        &self,
        task: &Task,
        lease: &LeaseToken,
        ttl: Duration,
    ) -> Result<Option<Task>>;
    /// Records that `datasource` was deleted at `at`: its tasks saved
    /// before no longer hold its schema (`pass_schema_gate`), so a
    /// datasource created again under that name shows no drift against the
    /// deleted one.
    async fn reset_schema(&self, datasource: &str, at: DateTime<Utc>) -> Result<()>;
    /// Gives a claimed task back for a server shutdown (`Task::hand_back`):
    /// saved as queued with no lease, so any worker claims it at once, and
    /// the attempt not counted. Fenced by the lease and refused (`false`)
    /// when the stored task has passed its commit point: such a run must
    /// finish, or be taken over when its lease runs out.
    async fn hand_back(&self, task: &Task, lease: &LeaseToken) -> Result<bool>;
    /// Cancels an unfinished task; returns it as it now stands (`None` when
    /// unknown). A finished task is returned unchanged.
    async fn cancel(&self, id: TaskId) -> Result<Option<Task>> {
        self.cancel_by(id, None).await
    }
    /// `cancel`, recording the name of the token that asked (`cancelled_by`).
    async fn cancel_by(&self, id: TaskId, by: Option<&str>) -> Result<Option<Task>>;
    /// Queues a failed or cancelled task again (`Task::requeue`); returns it
    /// as it now stands (`None` when unknown). Any other task is returned
    /// unchanged.
    async fn requeue(&self, id: TaskId) -> Result<Option<Task>> {
        self.requeue_by(id, None).await
    }
    /// `requeue`, recording the name of the token that asked (`retried_by`).
    async fn requeue_by(&self, id: TaskId, by: Option<&str>) -> Result<Option<Task>>;
    /// Confirms a replace waiting for it (`Task::confirm`: queued again),
    /// recording the name of the token that agreed (`confirmed_by`);
    /// returns it as it now stands (`None` when unknown). Any other task is
    /// returned unchanged.
    async fn confirm_by(&self, id: TaskId, by: Option<&str>) -> Result<Option<Task>>;
    /// Reserves an upload's `Idempotency-Key`: `None` when this upload now
    /// holds it, else what the key already stands for (a reservation in
    /// flight since before `stale_before` is dropped first: a crash left it).
    async fn reserve_key(
        &self,
        key: &str,
        stale_before: DateTime<Utc>,
    ) -> Result<Option<KeyRecord>>;
    /// `insert`, and the reserved `key` now stands for this task (one
    /// transaction).
    async fn insert_keyed(&self, task: &Task, key: &str) -> Result<()>;
    /// Lets go of a reservation whose upload was rejected.
    async fn forget_key(&self, key: &str) -> Result<()>;
    /// Tasks waiting for a worker now (for metrics).
    async fn queue(&self) -> Result<QueueStats>;
    async fn health(&self) -> Result<()>;
}

/// The `TaskStore` of a SQL backend: every method runs the one generic
/// `Queries` on the backend's pool (the statements come from the calling
/// module's `queries()`); written once for both backends.
macro_rules! sql_task_store {
    ($store:ty, $backend:literal) => {
        #[async_trait::async_trait]
        impl $crate::tasks::TaskStore for $store {
            fn backend(&self) -> &'static str {
                $backend
            }

            async fn insert(&self, task: &ingest_domain::Task) -> $crate::Result<()> {
                queries().insert(&self.pool, task).await
            }

            async fn get(
                &self,
                id: ingest_domain::TaskId,
            ) -> $crate::Result<Option<ingest_domain::Task>> {
                queries().get(&self.pool, id).await
            }

            async fn list(
                &self,
                filter: &$crate::tasks::TaskFilter,
            ) -> $crate::Result<$crate::tasks::TaskPage> {
                queries().list(&self.pool, filter).await
            }

            async fn same_content(
                &self,
                datasource: &str,
                sha256: &str,
            ) -> $crate::Result<Option<ingest_domain::TaskId>> {
                queries().same_content(&self.pool, datasource, sha256).await
            }

            async fn claim(
                &self,
                owner: &str,
                ttl: std::time::Duration,
            ) -> $crate::Result<Option<$crate::tasks::Claim>> {
                queries().claim(&self.pool, owner, ttl).await
            }

            async fn save(
                &self,
                task: &ingest_domain::Task,
                lease: &$crate::tasks::LeaseToken,
                ttl: std::time::Duration,
            ) -> $crate::Result<bool> {
                queries().save(&self.pool, task, lease, ttl).await
            }

            async fn renew(
                &self,
                id: ingest_domain::TaskId,
                lease: &$crate::tasks::LeaseToken,
                ttl: std::time::Duration,
            ) -> $crate::Result<bool> {
                queries().renew(&self.pool, id, lease, ttl).await
            }

            async fn save_progress(
                &self,
                id: ingest_domain::TaskId,
                lease: &$crate::tasks::LeaseToken,
                progress: &ingest_domain::TaskProgress,
            ) -> $crate::Result<bool> {
                queries()
                    .save_progress(&self.pool, id, lease, progress)
                    .await
            }

            async fn release(
                &self,
                task: &ingest_domain::Task,
                lease: &$crate::tasks::LeaseToken,
                retry_at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<bool> {
                queries().release(&self.pool, task, lease, retry_at).await
            }

            async fn pass_schema_gate(
                &self,
                task: &ingest_domain::Task,
                lease: &$crate::tasks::LeaseToken,
                ttl: std::time::Duration,
            ) -> $crate::Result<Option<ingest_domain::Task>> {
                queries()
                    .pass_schema_gate(&self.pool, task, lease, ttl)
                    .await
            }

            async fn hand_back(
                &self,
                task: &ingest_domain::Task,
                lease: &$crate::tasks::LeaseToken,
            ) -> $crate::Result<bool> {
                queries().hand_back(&self.pool, task, lease).await
            }

            async fn cancel_by(
                &self,
                id: ingest_domain::TaskId,
                by: Option<&str>,
            ) -> $crate::Result<Option<ingest_domain::Task>> {
                queries()
                    .transition(&self.pool, id, $crate::tasks::codec::cancel_by, by)
                    .await
            }

            async fn requeue_by(
                &self,
                id: ingest_domain::TaskId,
                by: Option<&str>,
            ) -> $crate::Result<Option<ingest_domain::Task>> {
                queries()
                    .transition(&self.pool, id, $crate::tasks::codec::requeue_by, by)
                    .await
            }

            async fn confirm_by(
                &self,
                id: ingest_domain::TaskId,
                by: Option<&str>,
            ) -> $crate::Result<Option<ingest_domain::Task>> {
                queries()
                    .transition(&self.pool, id, $crate::tasks::codec::confirm_by, by)
                    .await
            }

            async fn reserve_key(
                &self,
                key: &str,
                stale_before: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<Option<$crate::tasks::KeyRecord>> {
                queries().reserve_key(&self.pool, key, stale_before).await
            }

            async fn insert_keyed(
                &self,
                task: &ingest_domain::Task,
                key: &str,
            ) -> $crate::Result<()> {
                queries().insert_keyed(&self.pool, task, key).await
            }

            async fn reset_schema(
                &self,
                datasource: &str,
                at: chrono::DateTime<chrono::Utc>,
            ) -> $crate::Result<()> {
                queries().reset_schema(&self.pool, datasource, at).await
            }

            async fn forget_key(&self, key: &str) -> $crate::Result<()> {
                queries().forget_key(&self.pool, key).await
            }

            async fn queue(&self) -> $crate::Result<$crate::tasks::QueueStats> {
                queries().queue(&self.pool).await
            }

            async fn health(&self) -> $crate::Result<()> {
                queries().ping(&self.pool).await
            }
        }
    };
}
use sql_task_store;

mod postgres;
mod sqlite;
