//! Task store on Postgres. Claims use `FOR UPDATE SKIP LOCKED` so any number
//! of workers, in any number of processes, never take the same task.

use std::{sync::LazyLock, time::Duration};

use async_trait::async_trait;
use ingest_domain::{Task, TaskId};
use sqlx::{postgres::PgPoolOptions, PgPool};

use super::codec;
use super::queries::Queries;
use super::sql::{Dialect, Statements};
use super::{TaskFilter, TaskPage, TaskStore};
use crate::{Result, StorageError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

static SQL: LazyLock<Statements> = LazyLock::new(|| Statements::new(&Dialect::POSTGRES));

fn queries() -> Queries<'static, sqlx::Postgres> {
    Queries::new(&SQL)
}

pub struct PostgresTaskStore {
    pool: PgPool,
}

impl PostgresTaskStore {
    /// Applies `change` to a task under a row lock (no worker can save it in
    /// between); returns the task as it now stands.
    async fn transition(
        &self,
        id: TaskId,
        change: codec::Transition,
        by: Option<&str>,
    ) -> Result<Option<Task>> {
        let mut tx = self.pool.begin().await.map_err(StorageError::db("begin"))?;
        let outcome = queries().transition(&mut tx, id, change, by).await?;
        tx.commit().await.map_err(StorageError::db("commit"))?;
        Ok(outcome)
    }

    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .acquire_timeout(Duration::from_secs(5))
            .connect(url)
            .await
            .map_err(StorageError::db("connect to Postgres"))?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }
}

#[async_trait]
impl TaskStore for PostgresTaskStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn insert(&self, task: &Task) -> Result<()> {
        queries().insert(&self.pool, task).await
    }

    async fn get(&self, id: TaskId) -> Result<Option<Task>> {
        queries().get(&self.pool, id).await
    }

    async fn list(&self, filter: &TaskFilter) -> Result<TaskPage> {
        queries().list(&self.pool, filter).await
    }

    async fn claim(&self, owner: &str, lease: Duration) -> Result<Option<Task>> {
        queries().claim(&self.pool, owner, lease).await
    }

    async fn save(&self, task: &Task, owner: &str, lease: Duration) -> Result<bool> {
        queries().save(&self.pool, task, owner, lease).await
    }

    async fn renew(&self, id: TaskId, owner: &str, lease: Duration) -> Result<bool> {
        queries().renew(&self.pool, id, owner, lease).await
    }

    async fn cancel_by(&self, id: TaskId, by: Option<&str>) -> Result<Option<Task>> {
        self.transition(id, codec::cancelled, by).await
    }

    async fn requeue_by(&self, id: TaskId, by: Option<&str>) -> Result<Option<Task>> {
        self.transition(id, codec::requeued, by).await
    }

    async fn health(&self) -> Result<()> {
        queries().ping(&self.pool).await
    }
}
