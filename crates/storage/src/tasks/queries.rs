//! Every task statement run once for both SQL backends: the dialect comes in
//! as `Statements`, the database type as a parameter. What differs between
//! the backends (connecting, and the transaction around a cancel or
//! requeue) stays in `postgres.rs` and `sqlite.rs`.

use std::time::Duration;

use ingest_domain::{Task, TaskId};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Type};

use super::codec::{self, Transition};
use super::sql::Statements;
use super::{TaskFilter, TaskPage};
use crate::{Result, StorageError};

/// The statements of one dialect, run on `DB`.
pub(crate) struct Queries<'a, DB: Database> {
    pub sql: &'a Statements,
    pub _db: std::marker::PhantomData<DB>,
}

impl<'a, DB> Queries<'a, DB>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> Option<String>: Encode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i32: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> bool: Encode<'q, DB> + Type<DB>,
    &'static str: ColumnIndex<DB::Row>,
    usize: ColumnIndex<DB::Row>,
{
    pub fn new(sql: &'a Statements) -> Self {
        Self {
            sql,
            _db: std::marker::PhantomData,
        }
    }

    pub async fn insert(&self, pool: &Pool<DB>, task: &Task) -> Result<()> {
        sqlx::query::<DB>(&self.sql.insert)
            .bind(task.task_id.to_string())
            .bind(task.datasource.as_str().to_owned())
            .bind(task.status.as_str().to_owned())
            .bind(task.object_key.clone())
            .bind(codec::millis(task.created_at))
            .bind(codec::millis(task.updated_at))
            .bind(codec::body_of(task)?)
            .execute(pool)
            .await
            .map_err(StorageError::db("insert task"))?;
        Ok(())
    }

    pub async fn get(&self, pool: &Pool<DB>, id: TaskId) -> Result<Option<Task>> {
        let row = sqlx::query::<DB>(&self.sql.by_id)
            .bind(id.to_string())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("load task"))?;
        row.as_ref().map(codec::decode).transpose()
    }

    pub async fn list(&self, pool: &Pool<DB>, filter: &TaskFilter) -> Result<TaskPage> {
        let (limit, offset) = codec::page_bounds(filter.limit, filter.offset);
        let status = filter.status.map(|s| s.as_str().to_owned());
        let rows = sqlx::query::<DB>(&self.sql.list)
            .bind(status.clone())
            .bind(filter.datasource.clone())
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await
            .map_err(StorageError::db("list tasks"))?;
        let (total,): (i64,) = sqlx::query_as::<DB, (i64,)>(&self.sql.count)
            .bind(status)
            .bind(filter.datasource.clone())
            .fetch_one(pool)
            .await
            .map_err(StorageError::db("count tasks"))?;
        Ok(TaskPage {
            tasks: rows.iter().map(codec::decode).collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    pub async fn claim(
        &self,
        pool: &Pool<DB>,
        owner: &str,
        lease: Duration,
    ) -> Result<Option<Task>> {
        let row = sqlx::query::<DB>(&self.sql.claim)
            .bind(owner.to_owned())
            .bind(codec::lease_until(lease))
            .bind(codec::millis(chrono::Utc::now()))
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("claim task"))?;
        row.as_ref().map(codec::decode).transpose()
    }

    pub async fn save(
        &self,
        pool: &Pool<DB>,
        task: &Task,
        owner: &str,
        lease: Duration,
    ) -> Result<bool> {
        let held = sqlx::query::<DB>(&self.sql.save)
            .bind(task.status.as_str().to_owned())
            .bind(codec::millis(task.updated_at))
            .bind(codec::body_of(task)?)
            .bind(task.status.is_terminal())
            .bind(codec::lease_until(lease))
            .bind(task.task_id.to_string())
            .bind(owner.to_owned())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("save task"))?;
        Ok(held.is_some())
    }

    pub async fn renew(
        &self,
        pool: &Pool<DB>,
        id: TaskId,
        owner: &str,
        lease: Duration,
    ) -> Result<bool> {
        let held = sqlx::query::<DB>(&self.sql.renew)
            .bind(codec::lease_until(lease))
            .bind(id.to_string())
            .bind(owner.to_owned())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("renew lease"))?;
        Ok(held.is_some())
    }

    /// Reads a task, applies `change`, writes it back, on one connection
    /// inside the caller's transaction (which keeps workers out in between).
    /// The task as it now stands (`None` when unknown); unchanged when
    /// `change` declines it.
    pub async fn transition(
        &self,
        conn: &mut DB::Connection,
        id: TaskId,
        change: Transition,
        by: Option<&str>,
    ) -> Result<Option<Task>> {
        let row = sqlx::query::<DB>(&self.sql.by_id_for_update)
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(StorageError::db("load task"))?;
        let Some(task) = row.as_ref().map(codec::decode).transpose()? else {
            return Ok(None);
        };
        let Some(changed) = change(task.clone(), by) else {
            return Ok(Some(task));
        };
        sqlx::query::<DB>(&self.sql.overwrite)
            .bind(changed.status.as_str().to_owned())
            .bind(codec::millis(changed.updated_at))
            .bind(codec::body_of(&changed)?)
            .bind(codec::attempts_of(&changed))
            .bind(id.to_string())
            .execute(&mut *conn)
            .await
            .map_err(StorageError::db("update task"))?;
        Ok(Some(changed))
    }

    pub async fn ping(&self, pool: &Pool<DB>) -> Result<()> {
        sqlx::query::<DB>("SELECT 1")
            .execute(pool)
            .await
            .map_err(StorageError::db("ping"))?;
        Ok(())
    }
}
