#!/usr/bin/env bash
# A big CSV from `POST /api/ingest/upload` to queryable in Druid, the time
# of each stage, and as the peer Druid ingesting the same normalized parts
# directly (the same spec, submitted by this script) in the same run.
# Figures, not assertions (issue 12 §3).
#
#   eval "$(scripts/stack.sh env)"; bench/druid_big.sh [SIZE_MIB]
#
# SIZE_MIB (default 256) of CSV from bench/gen_csv.py (cached in
# ~/.cache/ingest/bench). The server runs with INGEST_DRUID_PART_BYTES
# (default 256 MiB) and INGEST_DRUID_MAX_SUBTASKS (default 2) from the
# environment. Prints:
#   upload     curl sends the file -> 202
#   validate   the task's `validation` stage
#   s3+submit  `ingestion` starts -> Druid task created (parts put to S3,
#              sampler preflight, submit)
#   druid      Druid's own duration of the task
#   load       Druid's end -> our task `succeeded` (segments loaded, broker
#              count reconciled)
#   peer       the same spec (same parts, a new datasource) submitted here:
#              Druid's duration, and submit -> Druid SQL counts every row
# and the ratio total / (validate + peer), target <= 1.3. Load average is
# printed before and after. INGEST_BIN skips the build. On exit both
# datasources are deleted (through the server) and the task's objects
# (upload, parts) removed from the stack's S3 server (boto3, in the bench
# venv), so that runs do not fill the disk.
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE_MIB=${1:-256}
: "${DRUID_URL:?run eval \"\$(scripts/stack.sh env)\" first}" "${S3_BUCKET:?}" "${DATABASE_URL:?}"
OVERLORD=${DRUID_OVERLORD_URL:-$DRUID_URL}
source "$REPO/bench/lib.sh"
bench_binary
DATA=${INGEST_CACHE_DIR:-$HOME/.cache/ingest}/bench
mkdir -p "$DATA"
FILE="$DATA/big_${SIZE_MIB}mib.csv"
[[ -s $FILE ]] || python3 "$REPO/bench/gen_csv.py" "$FILE" $((SIZE_MIB * 1024 * 1024))

VENV=$HOME/.cache/ingest/bench-venv
if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import boto3' 2>/dev/null; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet 'boto3==1.*' >&2
fi

bench_serve INGEST_AUTH=off INGEST_DATA_DIR="$WORK/data" INGEST_REAPER_INTERVAL_SECS=0

# The Python below writes what it created to $WORK/created as it goes:
# `task ID` and `datasource NAME` lines.
forget_run() {
  [[ -s $WORK/created ]] || return 0
  while read -r kind name; do
    if [[ $kind == datasource ]]; then
      curl -fsS -X DELETE "http://127.0.0.1:$PORT/api/datasources/$name" >/dev/null ||
        echo "could not delete datasource $name" >&2
    fi
  done <"$WORK/created"
  grep '^task ' "$WORK/created" | cut -d' ' -f2 | "$VENV/bin/python" -c '
import os, sys, boto3
tasks = sys.stdin.read().split()
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name=os.environ.get("S3_REGION", "us-east-1"))
bucket = os.environ["S3_BUCKET"]
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
    for obj in page.get("Contents", []):
        if any(t in obj["Key"] for t in tasks):
            s3.delete_object(Bucket=bucket, Key=obj["Key"])
'
}
BENCH_EXIT_HOOK=forget_run

echo "file $FILE ($(du -m "$FILE" | cut -f1) MiB), part bytes ${INGEST_DRUID_PART_BYTES:-268435456}, subtasks ${INGEST_DRUID_MAX_SUBTASKS:-2}"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "http://127.0.0.1:$PORT" "$OVERLORD" "$DRUID_URL" "$FILE" "$WORK/created" <<'PY'
import json, subprocess, sys, time, uuid
from datetime import datetime
from urllib.request import Request, urlopen

api, overlord, router, path, created = sys.argv[1:6]

def remember(kind, name):
    with open(created, "a") as f:
        f.write(f"{kind} {name}\n")

def call(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = Request(url, data=data, headers={"Content-Type": "application/json"})
    with urlopen(request, timeout=60) as r:
        return json.load(r)

def epoch(iso):
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()

def druid_status(task_id):
    return call(f"{overlord}/druid/indexer/v1/task/{task_id}/status")["status"]

def count(datasource):
    try:
        rows = call(f"{router}/druid/v2/sql", {"query": f'SELECT COUNT(*) AS "n" FROM "{datasource}"'})
        return rows[0]["n"] if rows else 0
    except Exception:
        return 0  # not known to the broker yet

datasource = f"bench_big_{uuid.uuid4().hex[:8]}"
remember("datasource", datasource)
t0 = time.time()
answer = subprocess.run(
    ["curl", "-fsS", "-F", f"file=@{path}", "-F", f"datasource_name={datasource}",
     f"{api}/api/ingest/upload"], check=True, capture_output=True, text=True).stdout
uploaded = time.time()
task_id = json.loads(answer)["task_id"]
remember("task", task_id)
while True:
    task = call(f"{api}/api/ingest/status/{task_id}")
    if task["status"] in ("succeeded", "failed", "cancelled"):
        break
    time.sleep(0.2)
done = time.time()
if task["status"] != "succeeded":
    sys.exit(f"task {task_id} {task['status']}: {task.get('error')}")
stages = {s["name"]: s for s in task["stages"]}
validate = stages["validation"]["duration_ms"] / 1000
ingest_start = epoch(stages["ingestion"]["started_at"])
druid_id = task["druid"]["task_id"]
status = druid_status(druid_id)
created = epoch(status["createdTime"])
druid_own = status["duration"] / 1000
rows = task["row_count"]
payload = call(f"{overlord}/druid/indexer/v1/task/{druid_id}")["payload"]
spec = payload["spec"]
parts = len(spec["ioConfig"]["inputSource"]["objects"])
total = done - t0
print(f"ours: {rows} rows, {parts} parts, Druid task {druid_id}")
print(f"  total {total:6.1f} s = upload {uploaded - t0:5.1f} + validate {validate:5.1f}"
      f" + s3+submit {created - ingest_start:5.1f} + druid {druid_own:5.1f}"
      f" + load {done - (created + druid_own):5.1f}"
      f"  (the rest, {total - (uploaded - t0) - validate - (done - ingest_start):4.1f} s: queue and stage changes)")

# The peer: the same spec (same parts, same tuning) into a new datasource.
peer_ds = f"bench_direct_{uuid.uuid4().hex[:8]}"
peer_id = f"bench-direct-{uuid.uuid4().hex[:8]}"
remember("datasource", peer_ds)
spec["dataSchema"]["dataSource"] = peer_ds
p0 = time.time()
call(f"{overlord}/druid/indexer/v1/task",
     {"type": "index_parallel", "id": peer_id, "spec": spec, "context": {"forceTimeChunkLock": True}})
while (peer := druid_status(peer_id))["status"] == "RUNNING" or peer["status"] == "WAITING" or peer["status"] == "PENDING":
    time.sleep(0.2)
if peer["status"] != "SUCCESS":
    sys.exit(f"peer task {peer_id}: {peer}")
while count(peer_ds) != rows:
    if time.time() - p0 > 3600:
        sys.exit("peer rows never all queryable")
    time.sleep(0.25)
direct = time.time() - p0
print(f"peer: Druid direct {direct:6.1f} s (Druid's duration {peer['duration'] / 1000:5.1f} s), same {parts} parts")
print(f"ratio: total / (validate + Druid direct) = {total:.1f} / ({validate:.1f} + {direct:.1f}) = {total / (validate + direct):.2f}  (target <= 1.3)")
PY
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
