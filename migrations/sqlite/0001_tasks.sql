-- One row per upload. The row is also the job: workers claim it with
-- an atomic UPDATE and hold a lease while they work on it, so a crashed
-- worker's task is picked up again once its lease expires.
CREATE TABLE tasks (
    id               TEXT PRIMARY KEY,
    datasource       TEXT    NOT NULL,
    status           TEXT    NOT NULL,
    object_key       TEXT    NOT NULL,
    created_at       BIGINT  NOT NULL, -- epoch milliseconds
    updated_at       BIGINT  NOT NULL,
    lease_owner      TEXT,
    lease_expires_at BIGINT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    body             TEXT    NOT NULL  -- the task as the API shows it
);

CREATE INDEX tasks_claimable ON tasks (created_at) WHERE status IN ('queued', 'validating', 'ingesting');
CREATE INDEX tasks_by_status ON tasks (status, created_at DESC);
CREATE INDEX tasks_by_datasource ON tasks (datasource, created_at DESC);
