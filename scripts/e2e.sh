#!/usr/bin/env bash
# Starts a real `ingest serve` (embedded defaults, a throwaway data dir, the
# built dashboard) on a free loopback port and runs the browser tests
# against it. Expects frontend/dist to be built.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}
# The same target set as `cargo test --workspace`, so features resolve alike
# and nothing is rebuilt after the tests.
cargo build --release --workspace --all-targets
BIN="$CARGO_TARGET_DIR/release/ingest"

DATA_DIR=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LOG="$DATA_DIR/server.log"
# The e2e server uses the embedded backends, whatever the shell exported.
env -u DATABASE_URL -u S3_BUCKET -u S3_ENDPOINT -u DRUID_URL \
  INGEST_LISTEN="127.0.0.1:$PORT" INGEST_DATA_DIR="$DATA_DIR" \
  INGEST_FRONTEND_DIR="$REPO/frontend/dist" "$BIN" serve >"$LOG" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true; wait $SERVER 2>/dev/null || true; rm -rf "$DATA_DIR"' EXIT

for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { cat "$LOG"; echo "ingest serve exited" >&2; exit 1; }
  sleep 0.1
done

# data.csv rows, counted independently of the server (header excluded).
ROWS=$(python3 -c 'import csv,sys; print(sum(1 for _ in csv.reader(open(sys.argv[1], newline="")))-1)' "$REPO/data.csv")
E2E_BASE_URL="http://127.0.0.1:$PORT" E2E_DATA_CSV="$REPO/data.csv" E2E_EXPECTED_ROWS="$ROWS" \
  scripts/frontend.sh e2e || { echo "--- server log"; tail -50 "$LOG"; exit 1; }
