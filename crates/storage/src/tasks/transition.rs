//! Changing a task that no worker holds (cancel, requeue): read it, apply the
//! change, write it back, all on one connection inside the caller's
//! transaction, which keeps workers out in between. The SQL dialect comes in
//! as `Statements`; the transaction itself differs by backend.

use ingest_domain::{Task, TaskId};
use sqlx::{ColumnIndex, Database, Decode, Encode, Executor, IntoArguments, Type};

use super::codec::{self, Transition};
use super::sql::Statements;
use crate::{Result, StorageError};

/// The task as it now stands (`None` when unknown); unchanged when `change`
/// declines it.
pub(crate) async fn apply<DB>(
    conn: &mut DB::Connection,
    sql: &Statements,
    id: TaskId,
    change: Transition,
) -> Result<Option<Task>>
where
    DB: Database,
    for<'c> &'c mut DB::Connection: Executor<'c, Database = DB>,
    for<'q> DB::Arguments<'q>: IntoArguments<'q, DB>,
    for<'q> String: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    for<'q> i64: Encode<'q, DB> + Type<DB>,
    for<'q> i32: Encode<'q, DB> + Decode<'q, DB> + Type<DB>,
    &'static str: ColumnIndex<DB::Row>,
{
    let row = sqlx::query::<DB>(&sql.by_id_for_update)
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(StorageError::db("load task"))?;
    let Some(task) = row.as_ref().map(codec::decode).transpose()? else {
        return Ok(None);
    };
    let Some(changed) = change(task.clone()) else {
        return Ok(Some(task));
    };
    sqlx::query::<DB>(&sql.overwrite)
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
