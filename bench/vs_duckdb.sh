#!/usr/bin/env bash
# Speed of validation against DuckDB doing the same job on the same file, on
# this machine, in this run, alternating (issue 12 §1):
#   1. `ingest validate FILE --json` (profile: types, min/max, nulls,
#      distinct estimates, top values, histograms; then the second pass
#      counting accepted rows, skipped when the first pass proves the
#      counts, as for this file) against DuckDB computing min, max, count and
#      approx_count_distinct of every column over read_csv;
#   2. `ingest validate FILE --output x.parquet` against DuckDB's
#      COPY (SELECT * FROM read_csv(…)) TO '…parquet'.
# Each of ours also on one core (taskset -c 0: validation then starts one
# thread), with its peak anonymous memory (RssAnon). Prints times, ratios and
# the load average; asserts nothing.
#
#   bench/vs_duckdb.sh [SIZE_BYTES]     (default 256 MiB; BENCH_NO_BUILD=1 skips the build)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=${1:-$((256 << 20))}
VENV=${BENCH_VENV:-$HOME/.cache/ingest/bench-venv}
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import duckdb' 2>/dev/null || "$VENV/bin/pip" install -q duckdb
source "$REPO/bench/lib.sh"
bench_binary
ROWS=$(python3 "$REPO/bench/gen_csv.py" "$WORK/big.csv" "$SIZE")
CORES=$(nproc)

duck() {
  exec "$VENV/bin/python" -c "
import duckdb, sys
f, mode, out = sys.argv[1], sys.argv[2], sys.argv[3]
if mode == 'stats':
    cols = [r[0] for r in duckdb.sql(f\"DESCRIBE SELECT * FROM read_csv('{f}')\").fetchall()]
    exprs = ', '.join(f'min(\"{c}\"), max(\"{c}\"), count(\"{c}\"), approx_count_distinct(\"{c}\")' for c in cols)
    duckdb.sql(f\"SELECT count(*), {exprs} FROM read_csv('{f}')\").fetchall()
else:
    duckdb.sql(f\"COPY (SELECT * FROM read_csv('{f}')) TO '{out}' (FORMAT parquet)\")
" "$@"
}

row() { # label, "seconds mib", [duckdb seconds]
  local s m
  read -r s m <<<"$2"
  if [[ -n ${3:-} ]]; then
    printf '%-38s %7.2f s  RssAnon peak %5d MiB  ratio to DuckDB %5.2f\n' "$1" "$s" "$m" "$(echo "$s / $3" | bc -l)"
  else
    printf '%-38s %7.2f s  RssAnon peak %5d MiB\n' "$1" "$s" "$m"
  fi
}

printf 'file: %d MiB, %d rows; %d cores; DuckDB %s; %s\n' $((SIZE >> 20)) "$ROWS" "$CORES" \
  "$("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')" "$(date -u +%FT%TZ)"
for pass in 1 2; do
  echo "-- pass $pass (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
  d_stats=$(bench_measure duck "$WORK/big.csv" stats -) || { echo "duckdb failed" >&2; exit 1; }
  o_json=$(bench_measure "$BIN" validate "$WORK/big.csv" --json) || { echo "ingest validate failed" >&2; exit 1; }
  o_json1=$(bench_measure taskset -c 0 "$BIN" validate "$WORK/big.csv" --json) || exit 1
  row "duckdb min/max/count/approx_distinct" "$d_stats"
  row "ingest validate --json ($CORES cores)" "$o_json" "${d_stats% *}"
  row "ingest validate --json (1 core)" "$o_json1" "${d_stats% *}"
  d_copy=$(bench_measure duck "$WORK/big.csv" copy "$WORK/duck.parquet") || { echo "duckdb failed" >&2; exit 1; }
  o_out=$(bench_measure "$BIN" validate "$WORK/big.csv" --output "$WORK/ours.parquet") || exit 1
  o_out1=$(bench_measure taskset -c 0 "$BIN" validate "$WORK/big.csv" --output "$WORK/ours.parquet") || exit 1
  row "duckdb COPY to parquet" "$d_copy"
  row "ingest validate --output ($CORES cores)" "$o_out" "${d_copy% *}"
  row "ingest validate --output (1 core)" "$o_out1" "${d_copy% *}"
done
