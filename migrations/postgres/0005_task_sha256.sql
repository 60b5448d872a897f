-- The uploaded file's SHA-256 as a column, so an upload can find earlier
-- uploads of the same content to the same datasource (the `duplicate_upload`
-- warning) through an index instead of reading every task body.
ALTER TABLE tasks ADD COLUMN sha256 TEXT;
UPDATE tasks SET sha256 = body->>'sha256';
CREATE INDEX tasks_by_content ON tasks (datasource, sha256, created_at DESC);
