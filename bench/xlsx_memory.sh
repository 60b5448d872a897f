#!/usr/bin/env bash
# Memory of reading a large XLSX: `ingest validate` (streams the sheet row by
# row) against Polars' read_excel (Python, calamine underneath via fastexcel,
# which loads the sheet whole) on the same file, in this run. Both are
# measured the same way: peak anonymous resident memory (RssAnon) sampled
# every 20 ms. Figures, not assertions.
#
#   bench/xlsx_memory.sh [ROWS]     (default 1000000, near Excel's limit)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ROWS=${1:-1000000}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}
VENV=${BENCH_VENV:-$HOME/.cache/ingest/bench-venv}
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import openpyxl, polars, fastexcel' 2>/dev/null ||
  "$VENV/bin/pip" install -q openpyxl polars fastexcel
# The same target set as the tests, so this reuses their build.
(cd "$REPO" && cargo build --release --workspace --all-targets) >&2
BIN="$CARGO_TARGET_DIR/release/ingest"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

echo "writing a $ROWS-row workbook…" >&2
"$VENV/bin/python" "$REPO/bench/gen_xlsx.py" "$WORK/big.xlsx" "$ROWS" >/dev/null

# peak_rss_anon CMD...: runs CMD; prints "<peak KiB> <seconds>"; fails with it.
peak_rss_anon() {
  local t0 pid peak=0 now
  t0=$(date +%s.%N)
  "$@" >"$WORK/out.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    now=$(awk '/^RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
    ((${now:-0} > peak)) && peak=$now
    sleep 0.02
  done
  wait "$pid" || { cat "$WORK/out.log" >&2; return 1; }
  echo "$peak $(echo "$(date +%s.%N) - $t0" | bc)"
}

read -r ours ours_s < <(peak_rss_anon "$BIN" validate "$WORK/big.xlsx" --output "$WORK/ours.parquet") ||
  { echo "ingest validate failed" >&2; exit 1; }
read -r theirs theirs_s < <(peak_rss_anon "$VENV/bin/python" -c "
import polars as pl, sys
frame = pl.read_excel('$WORK/big.xlsx')
print(frame.height)
") || { echo "polars read_excel failed" >&2; exit 1; }

printf 'file: %d rows, %d MiB on disk\n' "$ROWS" $(($(stat -c %s "$WORK/big.xlsx") >> 20))
printf 'ingest validate --output (streams):  RssAnon peak %5d MiB  (%.1f s)\n' $((ours / 1024)) "$ours_s"
printf 'polars read_excel (whole sheet):     RssAnon peak %5d MiB  (%.1f s)\n' $((theirs / 1024)) "$theirs_s"
printf 'memory ratio (ingest / polars):      %.2f\n' "$(echo "$ours / $theirs" | bc -l)"
