#!/usr/bin/env bash
# How long a small file takes from `POST /api/ingest/upload` to `succeeded`
# (Druid SQL count reconciled) against a running stack, and where the time
# goes. Figures, not assertions.
#
#   eval "$(scripts/stack.sh env)"; bench/druid_small.sh [RUNS] [FILE]
#
# Starts `ingest serve` on the stack in the environment (DATABASE_URL, S3_*,
# DRUID_*), uploads FILE (default data.csv) once to warm up, then RUNS times
# (default 5), each to a new datasource as the tests do, one at a time.
# Per run it prints:
#   submit  upload sent -> Druid task created (upload, validation, S3 put,
#           sampler preflight, submit), from Druid's `createdTime`
#   druid   Druid task created -> Druid says SUCCESS (seen by polling the
#           Overlord every 50 ms), with Druid's own `duration` next to it
#   load    Druid SUCCESS -> our task `succeeded` (segments handed off,
#           loaded by the historical, seen by the broker, count reconciled)
# and the median of each column. INGEST_BIN skips the build.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
RUNS=${1:-5}
FILE=${2:-$REPO/data.csv}
: "${DRUID_URL:?run eval \"\$(scripts/stack.sh env)\" first}" "${S3_BUCKET:?}" "${DATABASE_URL:?}"
OVERLORD=${DRUID_OVERLORD_URL:-$DRUID_URL}
source "$REPO/bench/lib.sh"
bench_binary

bench_serve INGEST_AUTH=off INGEST_DATA_DIR="$WORK/data"

python3 - "http://127.0.0.1:$PORT" "$OVERLORD" "$FILE" "$RUNS" <<'PY'
import json, statistics, subprocess, sys, time, uuid
from datetime import datetime
from urllib.request import urlopen

api, overlord, path, runs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

def get(url):
    with urlopen(url, timeout=10) as r:
        return json.load(r)

def epoch(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()

def one(label):
    datasource = f"bench_small_{uuid.uuid4().hex[:8]}"
    t0 = time.time()
    answer = subprocess.run(
        ["curl", "-fsS", "-F", f"file=@{path}", "-F", f"datasource_name={datasource}",
         f"{api}/api/ingest/upload"], check=True, capture_output=True, text=True).stdout
    task_id = json.loads(answer)["task_id"]
    druid_id = druid_success = druid_status = None
    while True:
        task = get(f"{api}/api/ingest/status/{task_id}")
        now = time.time()
        druid_id = druid_id or (task.get("druid") or {}).get("task_id")
        if druid_id and druid_success is None:
            druid_status = get(f"{overlord}/druid/indexer/v1/task/{druid_id}/status")["status"]
            if druid_status["status"] == "SUCCESS":
                druid_success = time.time()
        if task["status"] in ("succeeded", "failed", "cancelled"):
            break
        if now - t0 > 600:
            sys.exit(f"{label}: task {task_id} not done after 600 s")
        time.sleep(0.05)
    if task["status"] != "succeeded":
        sys.exit(f"{label}: task {task_id} {task['status']}: {task.get('error')}")
    if druid_success is None:  # ended between two polls
        druid_status = get(f"{overlord}/druid/indexer/v1/task/{druid_id}/status")["status"]
        druid_success = now
    created = epoch(druid_status["createdTime"])
    row = {
        "total": now - t0,
        "submit": created - t0,
        "druid": druid_success - created,
        "druid_own": druid_status["duration"] / 1000,
        "load": now - druid_success,
    }
    print(f"{label:>8}  total {row['total']:5.1f} s = submit {row['submit']:4.2f} + druid {row['druid']:4.1f}"
          f" (Druid's duration {row['druid_own']:4.1f}) + load {row['load']:4.1f}"
          f"   rows {task['row_count']}", flush=True)
    return row

one("warm-up")
rows = [one(f"run {i + 1}") for i in range(runs)]
med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
print(f"{'median':>8}  total {med['total']:5.1f} s = submit {med['submit']:4.2f} + druid {med['druid']:4.1f}"
      f" (Druid's duration {med['druid_own']:4.1f}) + load {med['load']:4.1f}   ({runs} runs)")
PY
