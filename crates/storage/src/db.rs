//! Opening the task database: one place that knows how to connect to each
//! dialect and bring its schema up to date, for every store that lives there
//! (tasks, API tokens).

use std::{path::Path, str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPoolOptions},
    sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions},
    PgPool, SqlitePool,
};

use crate::{Result, StorageError};

static SQLITE_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Bounds on every database call, so a stuck database fails a request or an
/// attempt instead of holding it forever.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DbTimeouts {
    /// Postgres: `statement_timeout` of every connection (the server
    /// cancels a longer statement, lock waits included). SQLite, a local
    /// file, can only wait for another writer's lock: its busy timeout.
    pub statement: Duration,
    /// Waiting for a free pooled connection (Postgres).
    pub acquire: Duration,
}

impl Default for DbTimeouts {
    fn default() -> Self {
        Self {
            statement: Duration::from_secs(30),
            acquire: Duration::from_secs(5),
        }
    }
}

/// Opens (creating if needed) the SQLite database at `url` (`sqlite://path`)
/// and migrates it.
pub(crate) async fn open_sqlite(
    url: &str,
    max_connections: u32,
    timeouts: DbTimeouts,
) -> Result<SqlitePool> {
    let options = SqliteConnectOptions::from_str(url)
        .map_err(|e| StorageError::Config(format!("bad SQLite URL: {e}")))?
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(timeouts.statement);
    if let Some(dir) = Path::new(options.get_filename()).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)
                .map_err(StorageError::io(format!("create {}", dir.display())))?;
        }
    }
    let pool = SqlitePoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(timeouts.acquire.max(timeouts.statement))
        .connect_with(options)
        .await
        .map_err(StorageError::db("open SQLite"))?;
    SQLITE_MIGRATOR.run(&pool).await?;
    Ok(pool)
}

/// Connects to Postgres at `url` and migrates it.
pub(crate) async fn open_postgres(
    url: &str,
    max_connections: u32,
    timeouts: DbTimeouts,
) -> Result<PgPool> {
    let statement_ms = timeouts.statement.as_millis().max(1);
    let options = PgConnectOptions::from_str(url)
        .map_err(|e| StorageError::Config(format!("bad Postgres URL: {e}")))?
        .options([("statement_timeout", format!("{statement_ms}ms"))]);
    let pool = PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(timeouts.acquire)
        .connect_with(options)
        .await
        .map_err(StorageError::db("connect to Postgres"))?;
    POSTGRES_MIGRATOR.run(&pool).await?;
    Ok(pool)
}
