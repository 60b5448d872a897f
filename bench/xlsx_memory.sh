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
VENV=${BENCH_VENV:-$HOME/.cache/ingest/bench-venv}
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import openpyxl, polars, fastexcel' 2>/dev/null ||
  "$VENV/bin/pip" install -q openpyxl polars fastexcel
source "$REPO/bench/lib.sh"
bench_binary

echo "writing a $ROWS-row workbook…" >&2
"$VENV/bin/python" "$REPO/bench/gen_xlsx.py" "$WORK/big.xlsx" "$ROWS" >/dev/null

read -r ours_s ours < <(bench_measure "$BIN" validate "$WORK/big.xlsx" --output "$WORK/ours.parquet") ||
  { echo "ingest validate failed" >&2; exit 1; }
read -r theirs_s theirs < <(bench_measure "$VENV/bin/python" -c "
import polars as pl, sys
frame = pl.read_excel('$WORK/big.xlsx')
print(frame.height)
") || { echo "polars read_excel failed" >&2; exit 1; }

printf 'file: %d rows, %d MiB on disk\n' "$ROWS" $(($(stat -c %s "$WORK/big.xlsx") >> 20))
printf 'ingest validate --output (streams):  RssAnon peak %5d MiB  (%.1f s)\n' "$ours" "$ours_s"
printf 'polars read_excel (whole sheet):     RssAnon peak %5d MiB  (%.1f s)\n' "$theirs" "$theirs_s"
printf 'memory ratio (ingest / polars):      %.2f\n' "$(echo "$ours / $theirs" | bc -l)"
