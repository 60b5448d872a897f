-- When each datasource was last deleted. Its tasks that finished before
-- that no longer hold its schema, so a datasource created again under the
-- same name is compared with its own uploads only (schema drift).
CREATE TABLE datasource_resets (
    datasource TEXT   PRIMARY KEY,
    reset_at   BIGINT NOT NULL -- epoch milliseconds
);
