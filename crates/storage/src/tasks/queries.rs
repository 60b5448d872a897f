//! Every task statement run once for both SQL backends: the dialect comes in
//! as `Statements` (including how a cancel's or requeue's transaction
//! begins), the database type as a parameter. Only connecting stays in
//! `postgres.rs` and `sqlite.rs`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ingest_domain::{Task, TaskId, TaskProgress};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Pool, Row, Type};

use super::codec::{self, Transition};
use super::sql::Statements;
use super::{Claim, KeyRecord, LeaseToken, QueueStats, TaskFilter, TaskPage};
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
    for<'q> Option<String>: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
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
            .bind(task.status().as_str().to_owned())
            .bind(task.object_key.clone())
            .bind(codec::millis(task.created_at))
            .bind(codec::millis(task.updated_at))
            .bind(codec::body_of(task)?)
            .bind(task.sha256.clone())
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
        let datasource = filter.datasource.as_deref().map(contains_pattern);
        let rows = sqlx::query::<DB>(self.sql.list(filter.order))
            .bind(status.clone())
            .bind(datasource.clone())
            .bind(limit)
            .bind(offset)
            .fetch_all(pool)
            .await
            .map_err(StorageError::db("list tasks"))?;
        let (total,): (i64,) = sqlx::query_as::<DB, (i64,)>(&self.sql.count)
            .bind(status)
            .bind(datasource.clone())
            .fetch_one(pool)
            .await
            .map_err(StorageError::db("count tasks"))?;
        Ok(TaskPage {
            tasks: rows.iter().map(codec::decode).collect::<Result<_>>()?,
            total: u64::try_from(total).unwrap_or(0),
        })
    }

    pub async fn same_content(
        &self,
        pool: &Pool<DB>,
        datasource: &str,
        sha256: &str,
    ) -> Result<Option<TaskId>> {
        let id: Option<(String,)> = sqlx::query_as::<DB, (String,)>(&self.sql.same_content)
            .bind(datasource.to_owned())
            .bind(sha256.to_owned())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("find uploads of the same content"))?;
        id.map(|(id,)| {
            id.parse()
                .map_err(|e: uuid::Error| StorageError::CorruptTask {
                    id: id.clone(),
                    reason: e.to_string(),
                })
        })
        .transpose()
    }

    /// Leases the oldest claimable task to `owner` under a fresh token.
    pub async fn claim(
        &self,
        pool: &Pool<DB>,
        owner: &str,
        ttl: Duration,
    ) -> Result<Option<Claim>> {
        let lease = LeaseToken::new();
        let row = sqlx::query::<DB>(&self.sql.claim)
            .bind(owner.to_owned())
            .bind(codec::lease_until(ttl))
            .bind(codec::millis(Utc::now()))
            .bind(lease.to_string())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("claim task"))?;
        let task = row.as_ref().map(codec::decode).transpose()?;
        Ok(task.map(|task| Claim { task, lease }))
    }

    pub async fn save(
        &self,
        pool: &Pool<DB>,
        task: &Task,
        lease: &LeaseToken,
        ttl: Duration,
    ) -> Result<bool> {
        let held = sqlx::query::<DB>(&self.sql.save)
            .bind(task.status().as_str().to_owned())
            .bind(codec::millis(task.updated_at))
            .bind(codec::body_of(task)?)
            .bind(task.status().is_terminal())
            .bind(codec::lease_until(ttl))
            .bind(task.task_id.to_string())
            .bind(lease.to_string())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("save task"))?;
        Ok(held.is_some())
    }

    pub async fn renew(
        &self,
        pool: &Pool<DB>,
        id: TaskId,
        lease: &LeaseToken,
        ttl: Duration,
    ) -> Result<bool> {
        let held = sqlx::query::<DB>(&self.sql.renew)
            .bind(codec::lease_until(ttl))
            .bind(id.to_string())
            .bind(lease.to_string())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("renew lease"))?;
        Ok(held.is_some())
    }

    pub async fn save_progress(
        &self,
        pool: &Pool<DB>,
        id: TaskId,
        lease: &LeaseToken,
        progress: &TaskProgress,
    ) -> Result<bool> {
        let held = sqlx::query::<DB>(&self.sql.save_progress)
            .bind(codec::progress_of(id, progress)?)
            .bind(id.to_string())
            .bind(lease.to_string())
            .bind(progress.status().as_str().to_owned())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("save task progress"))?;
        Ok(held.is_some())
    }

    pub async fn release(
        &self,
        pool: &Pool<DB>,
        task: &Task,
        lease: &LeaseToken,
        retry_at: DateTime<Utc>,
    ) -> Result<bool> {
        let held = sqlx::query::<DB>(&self.sql.release)
            .bind(task.status().as_str().to_owned())
            .bind(codec::millis(task.updated_at))
            .bind(codec::body_of(task)?)
            .bind(codec::millis(retry_at))
            .bind(task.task_id.to_string())
            .bind(lease.to_string())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("release task"))?;
        Ok(held.is_some())
    }

    pub async fn hand_back(
        &self,
        pool: &Pool<DB>,
        task: &Task,
        lease: &LeaseToken,
    ) -> Result<bool> {
        let held = sqlx::query::<DB>(&self.sql.hand_back)
            .bind(task.status().as_str().to_owned())
            .bind(codec::millis(task.updated_at))
            .bind(codec::body_of(task)?)
            .bind(codec::attempts_of(task))
            .bind(task.task_id.to_string())
            .bind(lease.to_string())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("hand back task"))?;
        Ok(held.is_some())
    }

    /// Applies `change` to a task no worker holds, in a transaction opened
    /// with the dialect's `begin` (through sqlx, so a dropped future rolls it
    /// back instead of returning an open transaction to the pool).
    pub async fn transition(
        &self,
        pool: &Pool<DB>,
        id: TaskId,
        change: Transition,
        by: Option<&str>,
    ) -> Result<Option<Task>> {
        let mut tx = pool
            .begin_with(self.sql.begin)
            .await
            .map_err(StorageError::db("begin"))?;
        let outcome = self.transition_in(&mut *tx, id, change, by).await?;
        tx.commit().await.map_err(StorageError::db("commit"))?;
        Ok(outcome)
    }

    /// Reads a task, applies `change`, writes it back, on one connection
    /// inside the caller's transaction (which keeps workers out in between).
    /// The task as it now stands (`None` when unknown); unchanged when
    /// `change` declines it.
    async fn transition_in(
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
        let mut changed = task.clone();
        if change(&mut changed, Utc::now(), by).is_err() {
            return Ok(Some(task));
        }
        sqlx::query::<DB>(&self.sql.overwrite)
            .bind(changed.status().as_str().to_owned())
            .bind(codec::millis(changed.updated_at))
            .bind(codec::body_of(&changed)?)
            .bind(codec::attempts_of(&changed))
            .bind(id.to_string())
            .execute(&mut *conn)
            .await
            .map_err(StorageError::db("update task"))?;
        Ok(Some(changed))
    }

    /// Reserves `key` for an upload now arriving; `None` when reserved,
    /// else what the key already stands for. A reservation still in flight
    /// since before `stale_before` was left by a crash and is dropped first.
    pub async fn reserve_key(
        &self,
        pool: &Pool<DB>,
        key: &str,
        stale_before: DateTime<Utc>,
    ) -> Result<Option<KeyRecord>> {
        sqlx::query::<DB>(self.sql.key_drop_stale)
            .bind(key.to_owned())
            .bind(codec::millis(stale_before))
            .execute(pool)
            .await
            .map_err(StorageError::db("drop a stale idempotency key"))?;
        let reserved = sqlx::query::<DB>(self.sql.key_reserve)
            .bind(key.to_owned())
            .bind(codec::millis(Utc::now()))
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("reserve an idempotency key"))?;
        if reserved.is_some() {
            return Ok(None);
        }
        let row = sqlx::query::<DB>(&self.sql.key_get)
            .bind(key.to_owned())
            .fetch_optional(pool)
            .await
            .map_err(StorageError::db("load an idempotency key"))?;
        let get = |e| StorageError::db("decode an idempotency key")(e);
        let Some(row) = row else {
            // Forgotten between the two statements: in flight a moment ago.
            return Ok(Some(KeyRecord::default()));
        };
        let task_id: Option<String> = row.try_get("task_id").map_err(get)?;
        Ok(Some(KeyRecord {
            task_id: task_id.and_then(|id| id.parse().ok()),
            sha256: row.try_get("sha256").map_err(get)?,
            datasource: row.try_get("datasource").map_err(get)?,
            mode: row.try_get("mode").map_err(get)?,
        }))
    }

    /// Records `task` and what `key` now stands for, in one transaction: a
    /// crash leaves either both or neither.
    pub async fn insert_keyed(&self, pool: &Pool<DB>, task: &Task, key: &str) -> Result<()> {
        let mut tx = pool
            .begin_with(self.sql.begin)
            .await
            .map_err(StorageError::db("begin"))?;
        sqlx::query::<DB>(&self.sql.insert)
            .bind(task.task_id.to_string())
            .bind(task.datasource.as_str().to_owned())
            .bind(task.status().as_str().to_owned())
            .bind(task.object_key.clone())
            .bind(codec::millis(task.created_at))
            .bind(codec::millis(task.updated_at))
            .bind(codec::body_of(task)?)
            .bind(task.sha256.clone())
            .execute(&mut *tx)
            .await
            .map_err(StorageError::db("insert task"))?;
        sqlx::query::<DB>(&self.sql.key_complete)
            .bind(task.task_id.to_string())
            .bind(task.sha256.clone())
            .bind(task.datasource.as_str().to_owned())
            .bind(task.mode.to_string())
            .bind(key.to_owned())
            .execute(&mut *tx)
            .await
            .map_err(StorageError::db("record an idempotency key"))?;
        tx.commit().await.map_err(StorageError::db("commit"))
    }

    pub async fn forget_key(&self, pool: &Pool<DB>, key: &str) -> Result<()> {
        sqlx::query::<DB>(self.sql.key_forget)
            .bind(key.to_owned())
            .execute(pool)
            .await
            .map_err(StorageError::db("forget an idempotency key"))?;
        Ok(())
    }

    pub async fn queue(&self, pool: &Pool<DB>) -> Result<QueueStats> {
        let (depth, oldest): (i64, Option<i64>) =
            sqlx::query_as::<DB, (i64, Option<i64>)>(&self.sql.queue)
                .fetch_one(pool)
                .await
                .map_err(StorageError::db("count queued tasks"))?;
        Ok(QueueStats {
            depth: u64::try_from(depth).unwrap_or(0),
            oldest_created_at: oldest.and_then(DateTime::from_timestamp_millis),
        })
    }

    /// The schema gate (`TaskStore::pass_schema_gate`): under the
    /// datasource's lock, reads the task holding its schema, lets the
    /// domain decide, and saves the outcome fenced by `lease`, in one
    /// transaction (through sqlx, so a dropped future rolls it back).
    pub async fn pass_schema_gate(
        &self,
        pool: &Pool<DB>,
        task: &Task,
        lease: &LeaseToken,
        ttl: Duration,
    ) -> Result<Option<Task>> {
        let mut tx = pool
            .begin_with(self.sql.begin)
            .await
            .map_err(StorageError::db("begin"))?;
        if !self.sql.schema_lock.is_empty() {
            sqlx::query::<DB>(self.sql.schema_lock)
                .bind(schema_lock_key(task.datasource.as_str()))
                .execute(&mut *tx)
                .await
                .map_err(StorageError::db("lock the datasource's schema"))?;
        }
        let row = sqlx::query::<DB>(&self.sql.schema_holder)
            .bind(task.datasource.as_str().to_owned())
            .bind(task.task_id.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(StorageError::db("load the datasource's schema"))?;
        let holder = row.as_ref().map(codec::decode).transpose()?;
        let mut decided = task.clone();
        decided.pass_schema_gate(holder.as_ref(), Utc::now())?;
        let held = sqlx::query::<DB>(&self.sql.save)
            .bind(decided.status().as_str().to_owned())
            .bind(codec::millis(decided.updated_at))
            .bind(codec::body_of(&decided)?)
            .bind(decided.status().is_terminal())
            .bind(codec::lease_until(ttl))
            .bind(decided.task_id.to_string())
            .bind(lease.to_string())
            .fetch_optional(&mut *tx)
            .await
            .map_err(StorageError::db("save task"))?;
        tx.commit().await.map_err(StorageError::db("commit"))?;
        Ok(held.map(|_| decided))
    }

    pub async fn reset_schema(
        &self,
        pool: &Pool<DB>,
        datasource: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query::<DB>(self.sql.schema_reset)
            .bind(datasource.to_owned())
            .bind(codec::millis(at))
            .execute(pool)
            .await
            .map_err(StorageError::db("reset the datasource's schema"))?;
        Ok(())
    }

    pub async fn ping(&self, pool: &Pool<DB>) -> Result<()> {
        sqlx::query::<DB>("SELECT 1")
            .execute(pool)
            .await
            .map_err(StorageError::db("ping"))?;
        Ok(())
    }
}

/// A LIKE pattern matching names that contain `part`, in any case: the
/// wildcards `%` and `_` (`_` is common in datasource names) match only
/// themselves.
fn contains_pattern(part: &str) -> String {
    let mut pattern = String::from("%");
    for c in part.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The advisory lock key of a datasource's schema: FNV-1a of its name,
/// stable across processes and releases (a hash from std may change).
fn schema_lock_key(datasource: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in b"ingest-schema:".iter().chain(datasource.as_bytes()) {
        hash ^= u64::from(*byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}
