//! Task store on SQLite: the embedded default. SQLite serialises writers, so
//! a single `UPDATE … WHERE id = (SELECT …) RETURNING` claims atomically.

use std::{path::Path, str::FromStr, sync::LazyLock, time::Duration};

use sqlx::{
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
    SqlitePool,
};

use super::queries::Queries;
use super::sql::{Dialect, Statements};
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
}

super::sql_task_store!(SqliteTaskStore, "sqlite");
