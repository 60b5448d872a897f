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
source "$REPO/bench/lib.sh"
bench_binary

python3 "$REPO/bench/gen_csv.py" "$WORK/load.csv" "$SIZE" >/dev/null
# Up to UPLOADS uploads at once (the default cap is lower: this measures
# the server under all of them, not the cap's 503s).
bench_serve -u DATABASE_URL -u S3_BUCKET -u S3_ENDPOINT -u DRUID_URL \
  INGEST_DATA_DIR="$WORK/data" INGEST_MAX_CONCURRENT_UPLOADS="$UPLOADS" RUST_LOG=warn

baseline=$(rss_anon "$SERVER")
( peak=0
  while kill -0 $SERVER 2>/dev/null; do
    now=$(rss_anon "$SERVER"); now=${now:-0}
    (( now > peak )) && { peak=$now; echo "$peak" > "$WORK/peak"; }
    sleep 0.1
  done ) &
SAMPLER=$!

echo "$UPLOADS uploads of $((SIZE >> 20)) MiB, status polled at $RATE/s for $SECONDS_ s…" >&2
python3 "$REPO/bench/load.py" "http://127.0.0.1:$PORT" "$WORK/load.csv" "$UPLOADS" "$RATE" "$SECONDS_"
printf 'server RssAnon: baseline %d MiB, peak %d MiB\n' $((baseline / 1024)) $(($(cat "$WORK/peak") / 1024))
