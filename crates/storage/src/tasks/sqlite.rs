//! Task store on SQLite: the embedded default. SQLite serialises writers, so
//! a single `UPDATE … WHERE id = (SELECT …) RETURNING` claims atomically.

use std::{path::Path, str::FromStr, sync::LazyLock, time::Duration};

use async_trait::async_trait;
use ingest_domain::{Task, TaskId};
use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
    SqlitePool,
};

use super::codec;
use super::queries::Queries;
use super::sql::{Dialect, Statements};
use super::{TaskFilter, TaskPage, TaskStore};
use crate::{Result, StorageError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");

static SQL: LazyLock<Statements> = LazyLock::new(|| Statements::new(&Dialect::SQLITE));

fn queries() -> Queries<'static, sqlx::Sqlite> {
    Queries::new(&SQL)
}

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
    async fn transition(
        &self,
        id: TaskId,
        change: codec::Transition,
        by: Option<&str>,
    ) -> Result<Option<Task>> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(StorageError::db("acquire"))?;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await
            .map_err(StorageError::db("begin"))?;
        let outcome = queries().transition(&mut conn, id, change, by).await;
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
