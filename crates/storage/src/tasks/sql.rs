//! The SQL both task stores run, written once. The dialects differ only in
//! casts (Postgres has `uuid`/`jsonb` columns, SQLite stores text) and in row
//! locking for claims; parameters are `$n` in both.

use ingest_domain::TaskStatus;

use super::codec::sql_list;
use super::{TaskOrder, TaskSortKey};

pub(crate) struct Dialect {
    /// Selects the columns `codec::TaskRow` decodes, as text.
    columns: &'static str,
    id: &'static str,
    json: &'static str,
    text: &'static str,
    /// Appended to the claim's inner SELECT.
    claim_lock: &'static str,
    /// Appended to the read that a cancel or requeue then overwrites.
    update_lock: &'static str,
    /// Opens the transaction of a cancel or requeue.
    begin: &'static str,
    /// True while the stored body has no `committed_at`.
    uncommitted: &'static str,
    /// A text field of the body; `FIELD` stands for its name.
    body_text: &'static str,
    /// A whole-number field of the body; `FIELD` stands for its name.
    body_number: &'static str,
    /// Run first in the schema gate's transaction: holds the datasource's
    /// lock ($1, a key derived from its name) until the transaction ends.
    /// Empty for SQLite, whose `begin` already takes the one write lock.
    schema_lock: &'static str,
}

impl Dialect {
    pub const POSTGRES: Self = Self {
        columns: "id::text AS id, status, object_key, attempts, body::text AS body, progress::text AS progress",
        id: "::uuid",
        json: "::jsonb",
        text: "::text",
        claim_lock: "FOR UPDATE SKIP LOCKED",
        update_lock: "FOR UPDATE",
        begin: "BEGIN",
        uncommitted: "body->>'committed_at' IS NULL",
        body_text: "body->>'FIELD'",
        body_number: "(body->>'FIELD')::bigint",
        schema_lock: "SELECT pg_advisory_xact_lock($1)",
    };
    pub const SQLITE: Self = Self {
        columns: "id, status, object_key, attempts, body, progress",
        id: "",
        json: "",
        text: "",
        // SQLite serialises writers: the single UPDATE … RETURNING is atomic,
        // and a cancel or requeue runs in BEGIN IMMEDIATE (the write lock).
        claim_lock: "",
        update_lock: "",
        // Takes the write lock up front, so no worker can save between the
        // read and the write (a plain BEGIN would upgrade later, and fail).
        begin: "BEGIN IMMEDIATE",
        uncommitted: "json_extract(body, '$.committed_at') IS NULL",
        body_text: "json_extract(body, '$.FIELD')",
        body_number: "json_extract(body, '$.FIELD')",
        schema_lock: "",
    };
}

/// Every statement, rendered for one dialect.
pub(crate) struct Statements {
    /// Opens the transaction of a cancel or requeue.
    pub begin: &'static str,
    /// $1 id, $2 datasource, $3 status, $4 object key, $5 created, $6 updated, $7 body,
    /// $8 sha256.
    pub insert: String,
    /// $1 id.
    pub by_id: String,
    /// $1 id; the row stays locked until the transaction ends.
    pub by_id_for_update: String,
    /// One per sort key and direction (see `list`): $1 status or NULL,
    /// $2 datasource pattern or NULL, $3 limit, $4 offset.
    lists: Vec<(TaskOrder, String)>,
    /// $1 status or NULL, $2 datasource pattern or NULL.
    pub count: String,
    /// $1 datasource, $2 sha256: the newest task holding that content that
    /// has not failed or been cancelled.
    pub same_content: String,
    /// $1 owner, $2 lease expiry, $3 now, $4 the new lease token.
    pub claim: String,
    /// $1 status, $2 updated, $3 body, $4 finished, $5 lease expiry, $6 id,
    /// $7 lease token; returns a row when that lease still held it.
    pub save: String,
    /// $1 lease expiry, $2 id, $3 lease token; returns a row as `save` does.
    pub renew: String,
    /// Publishes a running stage's progress without touching the task:
    /// $1 progress (JSON), $2 id, $3 lease token, $4 the status the stage
    /// runs in; returns a row when that lease still held the task in it.
    pub save_progress: String,
    /// Saves and lets go of the lease, claimable again from $4:
    /// $1 status, $2 updated, $3 body, $4 retry at, $5 id, $6 lease token.
    pub release: String,
    /// A worker stopping for shutdown gives the task back, claimable at
    /// once, unless the stored task passed its commit point:
    /// $1 status, $2 updated, $3 body, $4 attempts, $5 id, $6 lease token.
    pub hand_back: String,
    /// Rewrites a task that no worker holds (cancel, requeue):
    /// $1 status, $2 updated, $3 body, $4 attempts, $5 id.
    pub overwrite: String,
    /// No parameters: the number of queued tasks and the oldest one's
    /// `created_at` (NULL when none waits).
    pub queue: String,
    /// Idempotency keys. $1 key, $2 stale before: drops an in-flight
    /// reservation a crash left behind.
    pub key_drop_stale: &'static str,
    /// $1 key, $2 now; reserves the key unless it exists (0 rows then).
    pub key_reserve: &'static str,
    /// $1 key.
    pub key_get: String,
    /// $1 task id, $2 sha256, $3 datasource, $4 mode, $5 key.
    pub key_complete: String,
    /// $1 key; forgets an in-flight reservation (its upload was rejected).
    pub key_forget: &'static str,
    /// $1 datasource lock key (`schema_lock_key`); empty when the dialect
    /// needs no statement for it.
    pub schema_lock: &'static str,
    /// $1 datasource, $2 id of the task asking: the task whose schema is the
    /// datasource's, i.e. its newest other task that is ingesting or
    /// succeeded (one that failed or was cancelled never reached it), last
    /// saved after the datasource was last deleted (`schema_reset`).
    pub schema_holder: String,
    /// $1 datasource, $2 when it was deleted: its earlier tasks no longer
    /// hold its schema.
    pub schema_reset: &'static str,
}

impl Statements {
    /// The list statement for one order.
    pub fn list(&self, order: TaskOrder) -> &str {
        self.lists
            .iter()
            .find(|(o, _)| *o == order)
            .map(|(_, sql)| sql.as_str())
            .expect("a statement for every sort key and direction")
    }

    pub fn new(d: &Dialect) -> Self {
        let Dialect {
            columns,
            id,
            json,
            text,
            claim_lock,
            update_lock,
            begin,
            uncommitted,
            body_text,
            body_number,
            schema_lock,
        } = d;
        let unfinished = sql_list(&TaskStatus::UNFINISHED);
        let terminal = sql_list(&TaskStatus::TERMINAL);
        // Tasks whose rows never reached (or were undone from) the sink.
        let dropped = sql_list(&[TaskStatus::Failed, TaskStatus::Cancelled]);
        // Every write of a claimed task is fenced by its lease token.
        let fenced = |id_at: u8, token_at: u8| {
            format!("id = ${id_at}{id} AND lease_token = ${token_at} AND status NOT IN {terminal}")
        };
        // $2 is a LIKE pattern (`contains_pattern`): the datasource filter
        // matches part of a name, in any case.
        let filter = format!(
            "($1{text} IS NULL OR status = $1) AND ($2{text} IS NULL OR LOWER(datasource) LIKE $2 ESCAPE '\\')"
        );
        Self {
            begin: *begin,
            insert: format!(
                "INSERT INTO tasks (id, datasource, status, object_key, created_at, updated_at, attempts, body, sha256)
                 VALUES ($1{id}, $2, $3, $4, $5, $6, 0, $7{json}, $8)"
            ),
            by_id: format!("SELECT {columns} FROM tasks WHERE id = $1{id}"),
            by_id_for_update: format!("SELECT {columns} FROM tasks WHERE id = $1{id} {update_lock}"),
            lists: TaskSortKey::ALL
                .into_iter()
                .flat_map(|by| [true, false].map(|ascending| TaskOrder { by, ascending }))
                .map(|order| {
                    let expr = match order.by {
                        TaskSortKey::CreatedAt => "created_at".to_owned(),
                        TaskSortKey::Datasource => "LOWER(datasource)".to_owned(),
                        TaskSortKey::Status => "status".to_owned(),
                        TaskSortKey::FileName => {
                            format!("LOWER({})", body_text.replace("FIELD", "file_name"))
                        }
                        TaskSortKey::Rows => body_number.replace("FIELD", "row_count"),
                        TaskSortKey::Size => body_number.replace("FIELD", "size_bytes"),
                    };
                    let direction = if order.ascending { "ASC" } else { "DESC" };
                    // Tasks without a value (rows before validation) go last
                    // either way; ties stay newest first, so pages are stable.
                    let sql = format!(
                        "SELECT {columns} FROM tasks WHERE {filter}
                         ORDER BY {expr} {direction} NULLS LAST, created_at DESC, id DESC
                         LIMIT $3 OFFSET $4"
                    );
                    (order, sql)
                })
                .collect(),
            count: format!("SELECT COUNT(*) FROM tasks WHERE {filter}"),
            same_content: format!(
                "SELECT id{text} AS id FROM tasks
                 WHERE datasource = $1 AND sha256 = $2 AND status NOT IN {dropped}
                 ORDER BY created_at DESC, id DESC LIMIT 1"
            ),
            claim: format!(
                "UPDATE tasks SET lease_owner = $1, lease_expires_at = $2, lease_token = $4,
                     attempts = attempts + 1
                 WHERE id = (
                     SELECT id FROM tasks
                     WHERE status IN {unfinished} AND (lease_expires_at IS NULL OR lease_expires_at < $3)
                     ORDER BY created_at
                     LIMIT 1
                     {claim_lock})
                 RETURNING {columns}"
            ),
            save: format!(
                "UPDATE tasks SET status = $1, updated_at = $2, body = $3{json},
                     progress = CASE WHEN status = $1 THEN progress ELSE NULL END,
                     lease_owner = CASE WHEN $4 THEN NULL ELSE lease_owner END,
                     lease_token = CASE WHEN $4 THEN NULL ELSE lease_token END,
                     lease_expires_at = CASE WHEN $4 THEN NULL ELSE $5 END
                 WHERE {} RETURNING status",
                fenced(6, 7)
            ),
            renew: format!(
                "UPDATE tasks SET lease_expires_at = $1 WHERE {} RETURNING status",
                fenced(2, 3)
            ),
            save_progress: format!(
                "UPDATE tasks SET progress = $1{json} WHERE {} AND status = $4 RETURNING status",
                fenced(2, 3)
            ),
            release: format!(
                "UPDATE tasks SET status = $1, updated_at = $2, body = $3{json},
                     progress = NULL, lease_owner = NULL, lease_token = NULL, lease_expires_at = $4
                 WHERE {} RETURNING status",
                fenced(5, 6)
            ),
            hand_back: format!(
                "UPDATE tasks SET status = $1, updated_at = $2, body = $3{json}, attempts = $4, progress = NULL,
                     lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                 WHERE {} AND {uncommitted} RETURNING status",
                fenced(5, 6)
            ),
            overwrite: format!(
                "UPDATE tasks SET status = $1, updated_at = $2, body = $3{json}, attempts = $4, progress = NULL,
                     lease_owner = NULL, lease_token = NULL, lease_expires_at = NULL
                 WHERE id = $5{id}"
            ),
            queue: format!(
                "SELECT COUNT(*), MIN(created_at) FROM tasks WHERE status = '{}'",
                TaskStatus::Queued
            ),
            key_drop_stale:
                "DELETE FROM idempotency_keys WHERE key = $1 AND task_id IS NULL AND created_at < $2",
            key_reserve: "INSERT INTO idempotency_keys (key, created_at) VALUES ($1, $2)
                 ON CONFLICT (key) DO NOTHING RETURNING key",
            key_get: format!(
                "SELECT task_id{text} AS task_id, sha256, datasource, mode
                 FROM idempotency_keys WHERE key = $1"
            ),
            key_complete: format!(
                "UPDATE idempotency_keys SET task_id = $1{id}, sha256 = $2, datasource = $3, mode = $4
                 WHERE key = $5"
            ),
            key_forget: "DELETE FROM idempotency_keys WHERE key = $1 AND task_id IS NULL",
            schema_lock: *schema_lock,
            schema_holder: format!(
                "SELECT {columns} FROM tasks
                 WHERE datasource = $1 AND id <> $2{id} AND status IN {holding}
                   AND updated_at > COALESCE(
                       (SELECT reset_at FROM datasource_resets WHERE datasource = $1), -1)
                 ORDER BY created_at DESC, id DESC LIMIT 1",
                holding = sql_list(&[TaskStatus::Ingesting, TaskStatus::Succeeded])
            ),
            schema_reset: "INSERT INTO datasource_resets (datasource, reset_at) VALUES ($1, $2)
                 ON CONFLICT (datasource) DO UPDATE SET reset_at = excluded.reset_at",
        }
    }
}
