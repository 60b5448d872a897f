#!/usr/bin/env bash
# Load (issue 8): UPLOADS concurrent uploads of a SIZE-byte CSV to a real
# `ingest serve` (embedded backends: SQLite, local folder, local Parquet
# sink) while the status endpoint is polled at RATE requests/s for SECONDS.
# Reports errors, upload and status latencies (p50/p99), every task's final
# status and the server's peak RssAnon. Figures, not assertions.
#
#   bench/load.sh [UPLOADS=50] [SIZE=10485760] [RATE=500] [SECONDS=60]
#   INGEST_BIN=target/release/ingest bench/load.sh 5 1048576 50 5   # a quick look
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
UPLOADS=${1:-50}
SIZE=${2:-$((10 << 20))}
RATE=${3:-500}
SECONDS_=${4:-60}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}
# INGEST_BIN: an already built binary; otherwise build the same target set
# as the tests, so this reuses their build.
BIN=${INGEST_BIN:-}
if [[ -z $BIN ]]; then
  (cd "$REPO" && cargo build --release --workspace --all-targets) >&2
  BIN="$CARGO_TARGET_DIR/release/ingest"
fi
WORK=$(mktemp -d)
SERVER=
SAMPLER=
trap '[[ -n $SAMPLER ]] && kill $SAMPLER 2>/dev/null; [[ -n $SERVER ]] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT

python3 "$REPO/bench/gen_csv.py" "$WORK/load.csv" "$SIZE" >/dev/null
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
# Up to UPLOADS uploads at once (the default cap is lower: this measures
# the server under all of them, not the cap's 503s).
env -u DATABASE_URL -u S3_BUCKET -u S3_ENDPOINT -u DRUID_URL INGEST_LISTEN="127.0.0.1:$PORT" \
  INGEST_DATA_DIR="$WORK/data" INGEST_MAX_CONCURRENT_UPLOADS="$UPLOADS" \
  RUST_LOG=warn "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 300); do
  curl -fsS "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && break
  kill -0 $SERVER 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
  sleep 0.1
done

baseline=$(awk '/^RssAnon/ {print $2}' "/proc/$SERVER/status")
( peak=0
  while kill -0 $SERVER 2>/dev/null; do
    now=$(awk '/^RssAnon/ {print $2}' "/proc/$SERVER/status" 2>/dev/null || echo 0)
    (( now > peak )) && { peak=$now; echo "$peak" > "$WORK/peak"; }
    sleep 0.1
  done ) &
SAMPLER=$!

echo "$UPLOADS uploads of $((SIZE >> 20)) MiB, status polled at $RATE/s for $SECONDS_ s…" >&2
python3 "$REPO/bench/load.py" "http://127.0.0.1:$PORT" "$WORK/load.csv" "$UPLOADS" "$RATE" "$SECONDS_"
printf 'server RssAnon: baseline %d MiB, peak %d MiB\n' $((baseline / 1024)) $(($(cat "$WORK/peak") / 1024))
