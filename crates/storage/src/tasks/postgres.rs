//! Task store on Postgres. Claims use `FOR UPDATE SKIP LOCKED` so any number
//! of workers, in any number of processes, never take the same task.

use std::sync::LazyLock;

use sqlx::PgPool;

use super::queries::Queries;
use super::sql::{Dialect, Statements};
use crate::{DbTimeouts, Result};

static SQL: LazyLock<Statements> = LazyLock::new(|| Statements::new(&Dialect::POSTGRES));

fn queries() -> Queries<'static, sqlx::Postgres> {
    Queries::new(&SQL)
}

pub struct PostgresTaskStore {
    pool: PgPool,
}

impl PostgresTaskStore {
    /// Connects and brings the schema up to date.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_with(url, DbTimeouts::default()).await
    }

    /// `connect`, with these bounds on every call.
    pub async fn connect_with(url: &str, timeouts: DbTimeouts) -> Result<Self> {
        let pool = crate::db::open_postgres(url, 10, timeouts).await?;
        Ok(Self { pool })
    }
}

super::sql_task_store!(PostgresTaskStore, "postgres");
