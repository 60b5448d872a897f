//! Task store on SQLite: the embedded default. SQLite serialises writers, so
//! a single `UPDATE … WHERE id = (SELECT …) RETURNING` claims atomically.

use std::{path::Path, str::FromStr, sync::LazyLock, time::Duration};

use async_trait::async_trait;
use ingest_domain::{Task, TaskId};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
    SqlitePool,
};

use super::sql::{Dialect, Statements};
use super::{codec, transition};
use super::{TaskFilter, TaskPage, TaskStore};
use crate::{Result, StorageError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

static SQL: LazyLock<Statements> = LazyLock::new(|| Statements::new(&Dialect::SQLITE));

pub struct SqliteTaskStore {
    pool: SqlitePool,
}

impl SqliteTaskStore {
    /// Opens (creating if needed) the database at `url` (`sqlite://path`).
    pub async fn connect(url: &str) -> Result<Self> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StorageError::Config(format!("bad SQLite URL: {e}")))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .busy_timeout(Duration::from_secs(10));
        if let Some(dir) = Path::new(options.get_filename()).parent() {
            if !dir.as_os_str().is_empty() {
                std::fs::create_dir_all(dir)
                    .map_err(StorageError::io(format!("create {}", dir.display())))?;
            }
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .map_err(StorageError::db("open SQLite"))?;
        MIGRATOR.run(&pool).await?;
        Ok(Self { pool })
    }

    /// Applies `change` to a task inside BEGIN IMMEDIATE, which takes the
    /// write lock up front, so no worker can save between our read and our
    /// write; returns the task as it now stands.
    async fn transition(&self, id: TaskId, change: codec::Transition) -> Result<Option<Task>> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(StorageError::db("acquire"))?;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await
            .map_err(StorageError::db("begin"))?;
        let outcome = transition::apply::<sqlx::Sqlite>(&mut conn, &SQL, id, change).await;
        let end = if outcome.is_ok() {
            "COMMIT"
        } else {
            "ROLLBACK"
        };
        sqlx::query(end)
            .execute(&mut *conn)
            .await
            .map_err(StorageError::db("end transaction"))?;
        outcome
    }
}

#[async_trait]
impl TaskStore for SqliteTaskStore {
    fn backend(&self) -> &'static str {
        "sqlite"
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
