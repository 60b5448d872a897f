#!/usr/bin/env bash
# Starts a real `ingest serve` (embedded defaults, a throwaway data dir, the
# built dashboard) on a free loopback port and runs the browser tests
# against it. When the stack runs the misconfigured Druid (druid-broken, as
# in scripts/test.sh), a second server uses Postgres + S3 + that Druid, and
# the browser also checks what a person sees then; with the real Druid, a
# third server ingests into it (the Druid variant of the replace test).
# Expects frontend/dist.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}
# The same target set as `cargo test --workspace`, so features resolve alike
# and nothing is rebuilt after the tests.
cargo build --release --workspace --all-targets
BIN="$CARGO_TARGET_DIR/release/ingest"

DATA_DIR=$(mktemp -d)
SERVERS=()
cleanup() {
  local pid
  for pid in "${SERVERS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$DATA_DIR"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# serve NAME PORT [VAR=VALUE...]: `ingest serve` with the dashboard on PORT,
# logging to $DATA_DIR/NAME.log, with the given environment; waits until it answers.
serve() {
  local name=$1 port=$2; shift 2
  mkdir -p "$DATA_DIR/$name"
  env "$@" INGEST_LISTEN="127.0.0.1:$port" INGEST_DATA_DIR="$DATA_DIR/$name" \
    INGEST_FRONTEND_DIR="$REPO/frontend/dist" "$BIN" serve >"$DATA_DIR/$name.log" 2>&1 &
  SERVERS+=($!)
  for _ in $(seq 1 100); do
    curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1 && return 0
    kill -0 "${SERVERS[-1]}" 2>/dev/null || { cat "$DATA_DIR/$name.log"; echo "ingest serve ($name) exited" >&2; exit 1; }
    sleep 0.1
  done
}

PORT=$(free_port)
# The main e2e server uses the embedded backends, whatever the shell exported.
serve embedded "$PORT" -u DATABASE_URL -u S3_BUCKET -u S3_ENDPOINT -u DRUID_URL \
  -u DRUID_OVERLORD_URL -u DRUID_COORDINATOR_URL
if [[ -n ${DRUID_URL_BROKEN_ENDPOINT:-} ]]; then
  BROKEN_PORT=$(free_port)
  # The stack's S3 (Druid reads uploads there), its own SQLite task store,
  # and every Druid API at the broken overlord (not the real one's URLs).
  serve misconfigured "$BROKEN_PORT" -u DATABASE_URL -u DRUID_OVERLORD_URL -u DRUID_COORDINATOR_URL \
    DRUID_URL="$DRUID_URL_BROKEN_ENDPOINT"
  export E2E_MISCONFIGURED_URL="http://127.0.0.1:$BROKEN_PORT"
else
  echo "DRUID_URL_BROKEN_ENDPOINT is not set: the misconfigured-Druid browser test does not run" >&2
fi

# With the real Druid in the stack, a server whose sink is that Druid (its own
# SQLite task store; the stack's S3, which Druid reads uploads from), for the
# Druid variant of e2e/replace.test.mjs; Druid SQL is asked directly too.
if [[ -n ${DRUID_URL:-} ]]; then
  DRUID_PORT=$(free_port)
  serve druid "$DRUID_PORT" -u DATABASE_URL
  export E2E_DRUID_BASE_URL="http://127.0.0.1:$DRUID_PORT" E2E_DRUID_SQL_URL="$DRUID_URL"
else
  echo "DRUID_URL is not set: the Druid variant of the replace browser test does not run" >&2
fi

# A server that requires tokens (an admin token in the environment), with a read
# and a write token made by the CLI, for e2e/auth.test.mjs.
AUTH_PORT=$(free_port)
AUTH_ENV=(-u DATABASE_URL -u S3_BUCKET -u S3_ENDPOINT -u DRUID_URL
  INGEST_ADMIN_TOKEN="$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')")
mkdir -p "$DATA_DIR/auth"
# new_token SCOPE: the token `ingest token create` prints once (the ing_… word of its output).
new_token() {
  env "${AUTH_ENV[@]}" INGEST_DATA_DIR="$DATA_DIR/auth" "$BIN" token create --name "e2e-$1" --scope "$1" \
    | grep -oE 'ing_[A-Za-z0-9_-]+' | head -n 1
}
E2E_WRITE_TOKEN=$(new_token write)
E2E_READ_TOKEN=$(new_token read)
[[ -n $E2E_WRITE_TOKEN && -n $E2E_READ_TOKEN ]] || { echo "ingest token create printed no ing_ token" >&2; exit 1; }
serve auth "$AUTH_PORT" "${AUTH_ENV[@]}"
export E2E_AUTH_URL="http://127.0.0.1:$AUTH_PORT" E2E_WRITE_TOKEN E2E_READ_TOKEN

# data.csv rows, counted independently of the server (header excluded).
ROWS=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="")))-1)' "$REPO/data.csv")
E2E_BASE_URL="http://127.0.0.1:$PORT" E2E_DATA_CSV="$REPO/data.csv" E2E_EXPECTED_ROWS="$ROWS" \
  scripts/frontend.sh e2e || { tail -n 50 "$DATA_DIR"/*.log; exit 1; }
