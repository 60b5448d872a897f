//! End-to-end tests of the HTTP API against the real app on port 0, with
//! the embedded backends and with Postgres + S3 started by scripts/stack.sh.

mod auth;
mod bad_input;
mod broken_druid;
mod column_types;
mod commit;
mod datasources;
mod drift;
mod druid;
mod druid_faults;
mod druid_parts;
mod druid_progress;
mod druid_races;
mod encodings;
mod faults;
mod forwarder;
mod helpers;
mod hostile;
mod idempotency;
mod limits;
mod many_servers;
mod metrics;
mod openapi;
mod pipeline;
mod preview;
mod progress;
mod real_backends;
mod reaper;
mod rejected;
mod replace;
mod shutdown;
mod store_faults;
