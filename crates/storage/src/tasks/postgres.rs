//! Task store on Postgres. Claims use `FOR UPDATE SKIP LOCKED` so any number
//! of workers, in any number of processes, never take the same task.

use std::time::Duration;

use async_trait::async_trait;
use ingest_domain::{Task, TaskId};
use sqlx::{postgres::PgPoolOptions, PgPool, Row};

use super::codec::{self, TaskRow, CLAIMABLE, TERMINAL};
use super::{TaskFilter, TaskPage, TaskStore};
use crate::{Result, StorageError};

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

const COLUMNS: &str = "id::text AS id, status, object_key, attempts, body::text AS body";

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

fn decode(row: &sqlx::postgres::PgRow) -> Result<Task> {
    let get = |e| StorageError::db("decode task row")(e);
    TaskRow {
        id: row.try_get("id").map_err(get)?,
        status: row.try_get("status").map_err(get)?,
        object_key: row.try_get("object_key").map_err(get)?,
        attempts: row.try_get("attempts").map_err(get)?,
        body: row.try_get("body").map_err(get)?,
    }
    .into_task()
}

#[async_trait]
impl TaskStore for PostgresTaskStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn insert(&self, task: &Task) -> Result<()> {
        sqlx::query(
            "INSERT INTO tasks (id, datasource, status, object_key, created_at, updated_at, attempts, body)
             VALUES ($1::uuid, $2, $3, $4, $5, $6, 0, $7::jsonb)",
        )
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
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tasks WHERE id = $1::uuid"))
            .bind(id.to_string())
            .fetch_optional(&self.pool)
            .await
            .map_err(StorageError::db("load task"))?;
        row.as_ref().map(decode).transpose()
    }

    async fn list(&self, filter: &TaskFilter) -> Result<TaskPage> {
        let (limit, offset) = codec::page_bounds(filter.limit, filter.offset);
        let status = filter.status.map(|s| s.as_str());
        let condition =
            "($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR datasource = $2)";
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE {condition} ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(status)
        .bind(filter.datasource.as_deref())
        .bind(limit)
        .bind(offset)
        .fetch_all(&self.pool)
        .await
        .map_err(StorageError::db("list tasks"))?;
        let total: i64 =
            sqlx::query_scalar(&format!("SELECT COUNT(*) FROM tasks WHERE {condition}"))
                .bind(status)
                .bind(filter.datasource.as_deref())
                .fetch_one(&self.pool)
                .await
                .map_err(StorageError::db("count tasks"))?;
        Ok(TaskPage {
            tasks: rows.iter().map(decode).collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    async fn claim(&self, owner: &str, lease: Duration) -> Result<Option<Task>> {
        let now = codec::millis(chrono::Utc::now());
        let row = sqlx::query(&format!(
            "UPDATE tasks SET lease_owner = $1, lease_expires_at = $2, attempts = attempts + 1
             WHERE id = (
                 SELECT id FROM tasks
                 WHERE status IN {CLAIMABLE} AND (lease_expires_at IS NULL OR lease_expires_at < $3)
                 ORDER BY created_at
                 LIMIT 1
                 FOR UPDATE SKIP LOCKED)
             RETURNING {COLUMNS}"
        ))
        .bind(owner)
        .bind(codec::lease_until(lease))
        .bind(now)
        .fetch_optional(&self.pool)
        .await
        .map_err(StorageError::db("claim task"))?;
        row.as_ref().map(decode).transpose()
    }

    async fn save(&self, task: &Task, owner: &str, lease: Duration) -> Result<bool> {
        let done = task.status.is_terminal();
        let result = sqlx::query(&format!(
            "UPDATE tasks SET status = $1, updated_at = $2, body = $3::jsonb,
                 lease_owner = CASE WHEN $4 THEN NULL ELSE lease_owner END,
                 lease_expires_at = CASE WHEN $4 THEN NULL ELSE $5 END
             WHERE id = $6::uuid AND lease_owner = $7 AND status NOT IN {TERMINAL}"
        ))
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
        let result = sqlx::query(&format!(
            "UPDATE tasks SET lease_expires_at = $1
             WHERE id = $2::uuid AND lease_owner = $3 AND status NOT IN {TERMINAL}"
        ))
        .bind(codec::lease_until(lease))
        .bind(id.to_string())
        .bind(owner)
        .execute(&self.pool)
        .await
        .map_err(StorageError::db("renew lease"))?;
        Ok(result.rows_affected() == 1)
    }

    async fn cancel(&self, id: TaskId) -> Result<Option<Task>> {
        let mut tx = self.pool.begin().await.map_err(StorageError::db("begin"))?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM tasks WHERE id = $1::uuid FOR UPDATE"
        ))
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await
        .map_err(StorageError::db("load task"))?;
        let Some(task) = row.as_ref().map(decode).transpose()? else {
            return Ok(None);
        };
        if task.status.is_terminal() {
            return Ok(Some(task));
        }
        let task = codec::cancelled(task);
        sqlx::query(
            "UPDATE tasks SET status = $1, updated_at = $2, body = $3::jsonb,
                 lease_owner = NULL, lease_expires_at = NULL
             WHERE id = $4::uuid",
        )
        .bind(task.status.as_str())
        .bind(codec::millis(task.updated_at))
        .bind(codec::body_of(&task)?)
        .bind(id.to_string())
        .execute(&mut *tx)
        .await
        .map_err(StorageError::db("cancel task"))?;
        tx.commit().await.map_err(StorageError::db("commit"))?;
        Ok(Some(task))
    }

    async fn health(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map_err(StorageError::db("ping"))?;
        Ok(())
    }
}
