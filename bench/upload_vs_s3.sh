#!/usr/bin/env bash
# Upload throughput against the store itself: the same file sent
# (a) through `POST /api/ingest/upload` of a real `ingest serve` writing to
#     the local stack's S3 server, and
# (b) straight to that S3 server with boto3's `upload_file` (its default
#     multipart settings: 8 MiB parts, 10 threads),
# in alternating pairs, in the same run. Prints each pair, the medians, the
# ratio (ours / boto3 throughput) and the server's peak RssAnon during our
# uploads. Figures, not assertions. The server runs no workers, so no
# validation competes with the uploads.
#
#   scripts/stack.sh up   # STACK_SERVICES="postgres s3" is enough
#   bench/upload_vs_s3.sh [SIZE_BYTES] [PAIRS]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=${1:-$((1 << 30))}
PAIRS=${2:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}
eval "$("$REPO/scripts/stack.sh" env)"
: "${S3_ENDPOINT:?start the stack first: scripts/stack.sh up}"
# INGEST_BIN: an already built binary (skips the build).
source "$REPO/bench/lib.sh"
bench_binary

VENV=$HOME/.cache/ingest/bench-venv
if [[ ! -x $VENV/bin/python ]] || ! "$VENV/bin/python" -c 'import boto3' 2>/dev/null; then
  python3 -m venv "$VENV" >&2
  "$VENV/bin/pip" install --quiet 'boto3==1.*' >&2
fi

echo "generating a $SIZE-byte CSV…" >&2
python3 "$REPO/bench/gen_csv.py" "$WORK/big.csv" "$SIZE" >/dev/null

bench_serve -u DATABASE_URL -u DRUID_URL INGEST_AUTH=off \
  S3_PREFIX="bench-upload/" INGEST_DATA_DIR="$WORK/data" INGEST_WORKERS=0

# `ours` runs in a command substitution (a subshell): the peak goes through a file.
echo 0 > "$WORK/peak"
ours() {
  local peak; peak=$(cat "$WORK/peak")
  local start end
  start=$(date +%s.%N)
  curl -fsS -o /dev/null -F "file=@$WORK/big.csv" -F datasource_name=bench \
    "http://127.0.0.1:$PORT/api/ingest/upload" &
  local curl_pid=$!
  while kill -0 $curl_pid 2>/dev/null; do
    local now; now=$(rss_anon "$SERVER"); (( now > peak )) && peak=$now
    sleep 0.05
  done
  wait $curl_pid
  end=$(date +%s.%N)
  echo "$peak" > "$WORK/peak"
  echo "$end - $start" | bc
}
boto() {
  "$VENV/bin/python" - "$WORK/big.csv" <<'PY'
import os, sys, time, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name=os.environ["S3_REGION"])
start = time.monotonic()
s3.upload_file(sys.argv[1], os.environ["S3_BUCKET"], "bench-upload/direct/big.csv")
print(f"{time.monotonic() - start:.3f}")
PY
}

# Every upload stays in the stack's S3 server (1 GiB each, both ways):
# deleted after each pair and on exit, so a run does not fill the disk.
forget_uploads() {
  "$VENV/bin/python" - <<'PY'
import os, boto3
s3 = boto3.client("s3", endpoint_url=os.environ["S3_ENDPOINT"], region_name=os.environ["S3_REGION"])
bucket = os.environ["S3_BUCKET"]
for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="bench-upload/"):
    for obj in page.get("Contents", []):
        s3.delete_object(Bucket=bucket, Key=obj["Key"])
PY
}
BENCH_EXIT_HOOK=forget_uploads

declare -a OURS BOTO
for i in $(seq 1 "$PAIRS"); do
  # Alternate which goes first, so neither always gets a warm cache.
  if (( i % 2 )); then o=$(ours); b=$(boto); else b=$(boto); o=$(ours); fi
  OURS+=("$o"); BOTO+=("$b")
  forget_uploads
  printf 'pair %d: ours %.2f s, boto3 %.2f s\n' "$i" "$o" "$b"
done
python3 - "$SIZE" "${OURS[*]}" "${BOTO[*]}" <<'PY'
import statistics, sys
size = int(sys.argv[1]) / 2**20
ours = [float(x) for x in sys.argv[2].split()]
boto = [float(x) for x in sys.argv[3].split()]
mo, mb = statistics.median(ours), statistics.median(boto)
print(f"median: ours {mo:.2f} s ({size / mo:.0f} MiB/s), boto3 {mb:.2f} s ({size / mb:.0f} MiB/s)")
print(f"throughput ratio ours/boto3: {mb / mo:.2f}")
PY
printf 'server RssAnon peak during our uploads: %d MiB\n' $(($(cat "$WORK/peak") / 1024))
