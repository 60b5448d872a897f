#!/usr/bin/env bash
# The server's validation stage, measured outside the server and inside it
# (issue 12 §1). The worker calls `ingest_validation::validate` with a
# quarantine file always, and JSON lines for Druid or Parquet for the local
# sink; `ingest validate` makes the same call with these flags:
#
#   druid   ingest validate FILE --json --output o.json    --rejected-output r.csv
#   local   ingest validate FILE --json --output o.parquet --rejected-output r.csv
#   cli     ingest validate FILE --json --output o.parquet   (no quarantine)
#   server  `ingest serve` with the embedded backends (local Parquet sink):
#           upload FILE, the task's `validation` stage (download from the
#           object store + validate + rejected rows kept) and the server's
#           CPU seconds from the upload's end to the stage's end
#
# Figures are wall seconds and CPU seconds (user + sys): on a shared machine
# compare CPU. With BEFORE_BIN set, every case alternates between it and the
# binary under test, run after run, and the outputs and reports of the two
# are compared byte for byte.
#
#   [BEFORE_BIN=…] [INGEST_BIN=…] bench/server_validation.sh [SIZE_BYTES] [RUNS] [CASES]
#   e.g. BEFORE_BIN=/tmp/ingest-main BENCH_NO_BUILD=1 bench/server_validation.sh $((256<<20)) 2 "druid local"
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=${1:-$((256 << 20))}
RUNS=${2:-2}
CASES=${3:-druid local cli server}
source "$REPO/bench/lib.sh"
bench_binary
AFTER=$BIN

CSV=${BENCH_CSV:-$WORK/big.csv}
if [[ ! -f $CSV ]]; then
  echo "generating a $SIZE-byte CSV…" >&2
  python3 "$REPO/bench/gen_csv.py" "$CSV" "$SIZE" >/dev/null
fi
echo "file: $(( $(stat -c %s "$CSV") >> 20 )) MiB; $(nproc) cores; $(date -u +%FT%TZ); load average: $(cut -d' ' -f1-3 /proc/loadavg)"

# cpu_of PID: user + sys clock ticks so far.
cpu_of() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_cli NAME BIN ARGS…: one `validate` run; prints its figures and keeps
# its outputs in $WORK/NAME.*.
run_cli() {
  local name=$1 bin=$2 out; shift 2
  out=$WORK/$name
  rm -f "$out".o.* "$out".r.csv
  local args=()
  for a in "$@"; do args+=("${a//@/$out}"); done
  /usr/bin/time -f '%e %U %S %M' -o "$out.time" "$bin" validate "$CSV" --json "${args[@]}" \
    >"$out.report.json" 2>"$out.err" || true
  read -r wall user sys rss <"$out.time"
  printf '%-28s %7.2f s wall %7.2f s CPU (user %6.2f, sys %5.2f)  max RSS %4d MiB\n' \
    "$name" "$wall" "$(echo "$user + $sys" | bc)" "$user" "$sys" $((rss / 1024))
}

# run_server NAME BIN: the validation stage of an upload to `BIN serve`.
run_server() {
  local name=$1 bin=$2
  BIN=$bin bench_serve -u DATABASE_URL -u S3_BUCKET -u S3_ENDPOINT -u DRUID_URL \
    INGEST_DATA_DIR="$WORK/data-$name" INGEST_WORKERS=1
  curl -fsS -o "$WORK/answer.json" -F "file=@$CSV" -F datasource_name=bench \
    "http://127.0.0.1:$PORT/api/ingest/upload"
  local cpu0 cpu1 task status
  cpu0=$(cpu_of "$SERVER")
  task=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["task_id"])' "$WORK/answer.json")
  while :; do
    status=$(curl -fsS "http://127.0.0.1:$PORT/api/ingest/status/$task" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [[ $status == queued || $status == validating ]] || break
    sleep 0.1
  done
  cpu1=$(cpu_of "$SERVER")
  while [[ $status != succeeded && $status != failed && $status != cancelled ]]; do
    sleep 0.2
    status=$(curl -fsS "http://127.0.0.1:$PORT/api/ingest/status/$task" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  done
  curl -fsS "http://127.0.0.1:$PORT/api/ingest/status/$task" >"$WORK/$name.task.json"
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
  rm -rf "$WORK/data-$name"
  python3 - "$WORK/$name.task.json" "$name" "$cpu0" "$cpu1" "$(getconf CLK_TCK)" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
stage = {s["name"]: s for s in t["stages"]}["validation"]
cpu = (int(sys.argv[4]) - int(sys.argv[3])) / int(sys.argv[5])
print(f"{sys.argv[2]:<28} {stage['duration_ms'] / 1000:7.2f} s stage {cpu:7.2f} s CPU (server, upload end to stage end); "
      f"{t['status']}, {t['row_count']} rows, {t['rejected_row_count']} rejected")
PY
}

declare -A FLAGS=(
  [druid]="--output @.o.json --rejected-output @.r.csv"
  [local]="--output @.o.parquet --rejected-output @.r.csv"
  [cli]="--output @.o.parquet"
)
bins=(after)
[[ -n ${BEFORE_BIN:-} ]] && bins=(before after)
for run in $(seq 1 "$RUNS"); do
  echo "-- run $run (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  for case in $CASES; do
    for which in "${bins[@]}"; do
      bin=$AFTER; [[ $which == before ]] && bin=$BEFORE_BIN
      if [[ $case == server ]]; then
        run_server "$case-$which" "$bin"
      else
        # shellcheck disable=SC2086 # FLAGS are words
        run_cli "$case-$which" "$bin" ${FLAGS[$case]}
      fi
    done
    if [[ -n ${BEFORE_BIN:-} && $case != server ]]; then
      for f in report.json o.json o.parquet r.csv; do
        [[ -e $WORK/$case-before.$f || -e $WORK/$case-after.$f ]] || continue
        cmp -s "$WORK/$case-before.$f" "$WORK/$case-after.$f" \
          && echo "  $case: $f identical" || echo "  $case: $f DIFFERS"
      done
    fi
  done
done
