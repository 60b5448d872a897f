#!/usr/bin/env bash
# Uploads a large CSV (1 GiB by default) to a real `ingest serve` with the
# embedded backends and reports the server's peak anonymous resident memory
# (RssAnon: memory it owns, not page cache of files it maps) during the
# upload and during validation + sink. Figures, not assertions.
#
#   bench/memory.sh [SIZE_BYTES]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=${1:-$((1 << 30))}
source "$REPO/bench/lib.sh"
bench_binary

echo "generating a $SIZE-byte CSV…" >&2
ROWS=$(python3 "$REPO/bench/gen_csv.py" "$WORK/big.csv" "$SIZE")
bench_serve -u DATABASE_URL -u S3_BUCKET -u S3_ENDPOINT -u DRUID_URL \
  INGEST_DATA_DIR="$WORK/data" INGEST_WORKERS=1

peak=0
sample_until() { # $1: a command that succeeds when the phase is over
  while ! eval "$1"; do
    local now; now=$(rss_anon "$SERVER"); (( now > peak )) && peak=$now
    sleep 0.05
  done
}

baseline=$(rss_anon "$SERVER")
start=$(date +%s.%N)
curl -sS -o "$WORK/answer.json" -F "file=@$WORK/big.csv" -F datasource_name=bench \
  "http://127.0.0.1:$PORT/api/ingest/upload" &
CURL=$!
sample_until "! kill -0 $CURL 2>/dev/null"
upload_peak=$peak; upload_s=$(echo "$(date +%s.%N) - $start" | bc)
TASK=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["task_id"])' "$WORK/answer.json")

peak=0; start=$(date +%s.%N)
# A cheap check (no interpreter start-up per poll), so sampling stays frequent.
done_yet() { curl -fsS "http://127.0.0.1:$PORT/api/ingest/status/$TASK" | grep -qE '"status":"(succeeded|failed|cancelled)"'; }
sample_until done_yet
process_peak=$peak; process_s=$(echo "$(date +%s.%N) - $start" | bc)
curl -fsS "http://127.0.0.1:$PORT/api/ingest/status/$TASK" > "$WORK/task.json"
python3 - "$WORK/task.json" "$ROWS" <<PY
import json, sys
t = json.load(open(sys.argv[1]))
print(f"file: {int($SIZE) / 2**20:.0f} MiB, {sys.argv[2]} rows; task {t['status']}: row_count={t['row_count']} rejected={t['rejected_row_count']}")
PY
printf 'RssAnon baseline: %d MiB\n' $((baseline / 1024))
printf 'RssAnon peak during upload: %d MiB (%.1f s)\n' $((upload_peak / 1024)) "$upload_s"
printf 'RssAnon peak during validation + sink: %d MiB (%.1f s)\n' $((process_peak / 1024)) "$process_s"
