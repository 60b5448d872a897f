-- One row per `Idempotency-Key` an upload sent. `task_id` is NULL while the
-- first upload with the key is still arriving (a concurrent duplicate gets
-- 409); once its task is recorded, a retry with the same content gets that
-- task back, one with other content 422. created_at: epoch milliseconds (an
-- in-flight row older than the upload timeout was left by a crash).
CREATE TABLE idempotency_keys (
    key        TEXT    PRIMARY KEY,
    task_id    UUID,
    sha256     TEXT,
    datasource TEXT,
    mode       TEXT,
    created_at BIGINT  NOT NULL
);
