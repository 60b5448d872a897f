//! Task records, which double as the work queue.

mod codec;
mod postgres;
mod queries;
mod sql;
mod sqlite;

use std::time::Duration;

use async_trait::async_trait;
use ingest_domain::{Task, TaskId, TaskStatus};

pub use postgres::PostgresTaskStore;
pub use sqlite::SqliteTaskStore;

use crate::Result;

/// Which tasks to list, newest first.
#[derive(Debug, Clone, Default)]
pub struct TaskFilter {
    pub status: Option<TaskStatus>,
    pub datasource: Option<String>,
    pub limit: u32,
    pub offset: u32,
}

#[derive(Debug, Clone)]
pub struct TaskPage {
    pub tasks: Vec<Task>,
    pub total: u64,
}

#[async_trait]
pub trait TaskStore: Send + Sync + 'static {
    /// `sqlite` or `postgres`, for health reports.
    fn backend(&self) -> &'static str;
    /// Records a new task; it is queued for the workers in the same write.
    async fn insert(&self, task: &Task) -> Result<()>;
    async fn get(&self, id: TaskId) -> Result<Option<Task>>;
    async fn list(&self, filter: &TaskFilter) -> Result<TaskPage>;
    /// Takes the oldest unfinished task that no live worker holds, leasing it
    /// to `owner` and counting the attempt.
    async fn claim(&self, owner: &str, lease: Duration) -> Result<Option<Task>>;
    /// Saves a claimed task's progress and renews the lease. `false` means the
    /// worker no longer owns it (cancelled, or its lease was taken over) and
    /// must stop.
    async fn save(&self, task: &Task, owner: &str, lease: Duration) -> Result<bool>;
    /// Extends the lease of a task the worker still owns; `false` as for
    /// `save`.
    async fn renew(&self, id: TaskId, owner: &str, lease: Duration) -> Result<bool>;
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
    async fn health(&self) -> Result<()>;
}
