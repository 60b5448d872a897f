//! Task store on Postgres. Claims use `FOR UPDATE SKIP LOCKED` so any number
//! of workers, in any number of processes, never take the same task.

use std::{sync::LazyLock, time::Duration};

use async_trait::async_trait;
use ingest_domain::{Task, TaskId};
use sqlx::{postgres::PgPoolOptions, PgPool};

use super::sql::{Dialect, Statements};
use super::{codec, transition};
use super::{TaskFilter, TaskPage, TaskStore};
use crate::{Result, StorageError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

static SQL: LazyLock<Statements> = LazyLock::new(|| Statements::new(&Dialect::POSTGRES));

pub struct PostgresTaskStore {
    pool: PgPool,
}

impl PostgresTaskStore {
    /// Applies `change` to a task under a row lock (no worker can save it in
    /// between); returns the task as it now stands.
    async fn transition(&self, id: TaskId, change: codec::Transition) -> Result<Option<Task>> {
        let mut tx = self.pool.begin().await.map_err(StorageError::db("begin"))?;
        let outcome = transition::apply::<sqlx::Postgres>(&mut tx, &SQL, id, change).await?;
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
        sqlx::query(&SQL.insert)
            .bind(task.task_id.to_string())
            .bind(task.datasource.as_str())
            .bind(task.status.as_str())
            .bind(&task.object_key)
            .bind(codec::millis(task.created_at))
            .bind(codec::millis(task.updated_at))
            .bind(codec::body_of(task)?)
            .execute(&self.pool)
            .await
            .map_err(StorageError::db("insert task"))?;
        Ok(())
    }

    async fn get(&self, id: TaskId) -> Result<Option<Task>> {
        let row = sqlx::query(&SQL.by_id)
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StorageError::db("load task"))?;
        row.as_ref().map(codec::decode).transpose()
    }

    async fn list(&self, filter: &TaskFilter) -> Result<TaskPage> {
        let (limit, offset) = codec::page_bounds(filter.limit, filter.offset);
        let status = filter.status.map(|s| s.as_str());
        let rows = sqlx::query(&SQL.list)
            .bind(status)
            .bind(filter.datasource.as_deref())
            .bind(limit)
            .bind(offset)
            .fetch_all(&self.pool)
            .await
            .map_err(StorageError::db("list tasks"))?;
        let total: i64 = sqlx::query_scalar(&SQL.count)
            .bind(status)
            .bind(filter.datasource.as_deref())
            .fetch_one(&self.pool)
            .await
            .map_err(StorageError::db("count tasks"))?;
        Ok(TaskPage {
            tasks: rows.iter().map(codec::decode).collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn claim(&self, owner: &str, lease: Duration) -> Result<Option<Task>> {
        let now = codec::millis(chrono::Utc::now());
        let row = sqlx::query(&SQL.claim)
            .bind(owner)
            .bind(codec::lease_until(lease))
            .bind(now)
            .fetch_optional(&self.pool)
            .await
            .map_err(StorageError::db("claim task"))?;
        row.as_ref().map(codec::decode).transpose()
    }

    async fn save(&self, task: &Task, owner: &str, lease: Duration) -> Result<bool> {
        let done = task.status.is_terminal();
        let result = sqlx::query(&SQL.save)
            .bind(task.status.as_str())
            .bind(codec::millis(task.updated_at))
            .bind(codec::body_of(task)?)
            .bind(done)
            .bind(codec::lease_until(lease))
            .bind(task.task_id.to_string())
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(StorageError::db("save task"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn renew(&self, id: TaskId, owner: &str, lease: Duration) -> Result<bool> {
        let result = sqlx::query(&SQL.renew)
            .bind(codec::lease_until(lease))
            .bind(id.to_string())
            .bind(owner)
            .execute(&self.pool)
            .await
            .map_err(StorageError::db("renew lease"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn cancel(&self, id: TaskId) -> Result<Option<Task>> {
        self.transition(id, codec::cancelled).await
    }

    async fn requeue(&self, id: TaskId) -> Result<Option<Task>> {
        self.transition(id, codec::requeued).await
    }

    async fn health(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(StorageError::db("ping"))?;
        Ok(())
    }
}
