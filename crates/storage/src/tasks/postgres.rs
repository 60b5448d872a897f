//! Task store on Postgres. Claims use `FOR UPDATE SKIP LOCKED` so any number
//! of workers, in any number of processes, never take the same task.

use std::{sync::LazyLock, time::Duration};

use sqlx::{postgres::PgPoolOptions, PgPool};

use super::queries::Queries;
use super::sql::{Dialect, Statements};
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

super::sql_task_store!(PostgresTaskStore, "postgres");
