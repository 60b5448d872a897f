-- Progress within a task's running stage (validation: bytes and rows read;
-- ingestion: Druid's row counters), as JSON (`TaskProgress`). A column of its
-- own, apart from the body: the worker publishes it about once a second,
-- fenced by its lease token like every other write, and every save that
-- changes the status clears it. NULL when nothing runs.
ALTER TABLE tasks ADD COLUMN progress TEXT;
