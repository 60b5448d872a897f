-- Druid's metadata store: role and database `druid` on the project's Postgres.
-- Idempotent. Run by the postgres image at first start (docker-compose.yml
-- mounts it into /docker-entrypoint-initdb.d) and by scripts/stack.sh up.
SELECT 'CREATE ROLE druid LOGIN PASSWORD ''druid'''
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'druid')\gexec
SELECT 'CREATE DATABASE druid OWNER druid'
WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'druid')\gexec
