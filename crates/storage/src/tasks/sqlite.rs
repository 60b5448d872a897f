//! Task store on SQLite: the embedded default. SQLite serialises writers, so
//! a single `UPDATE … WHERE id = (SELECT …) RETURNING` claims atomically.

use std::sync::LazyLock;

use sqlx::SqlitePool;

use super::queries::Queries;
use super::sql::{Dialect, Statements};
use crate::{DbTimeouts, Result};

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
        Self::connect_with(url, DbTimeouts::default()).await
    }

    /// `connect`, with these bounds on every call.
    pub async fn connect_with(url: &str, timeouts: DbTimeouts) -> Result<Self> {
        let pool = crate::db::open_sqlite(url, 4, timeouts).await?;
        Ok(Self { pool })
    }
}

super::sql_task_store!(SqliteTaskStore, "sqlite");
