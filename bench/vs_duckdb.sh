#!/usr/bin/env bash
# Speed of validation + conversion to Parquet, against DuckDB doing the same
# job (read the CSV, infer types, write Parquet) on the same file, on this
# machine, in this run. Prints both times and the ratio; asserts nothing.
#
#   bench/vs_duckdb.sh [SIZE_BYTES]     (default 256 MiB)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SIZE=${1:-$((256 << 20))}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}
VENV=${BENCH_VENV:-$HOME/.cache/ingest/bench-venv}
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
"$VENV/bin/python" -c 'import duckdb' 2>/dev/null || "$VENV/bin/pip" install -q duckdb
# The same target set as the tests, so this reuses their build.
(cd "$REPO" && cargo build --release --workspace --all-targets) >&2
BIN="$CARGO_TARGET_DIR/release/ingest"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
ROWS=$(python3 "$REPO/bench/gen_csv.py" "$WORK/big.csv" "$SIZE")

seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null || return 1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
# A failed run must not be timed as if it had worked.
ours=$(seconds "$BIN" validate "$WORK/big.csv" --output "$WORK/ours.parquet") || { echo "ingest validate failed" >&2; exit 1; }
theirs=$(seconds "$VENV/bin/python" -c "
import duckdb, sys
duckdb.sql(\"COPY (SELECT * FROM read_csv_auto('$WORK/big.csv')) TO '$WORK/duck.parquet' (FORMAT parquet)\")
") || { echo "duckdb failed" >&2; exit 1; }
printf 'file: %d MiB, %d rows\n' $((SIZE >> 20)) "$ROWS"
printf 'ingest validate --output: %6.2f s\n' "$ours"
printf 'duckdb COPY to parquet:   %6.2f s\n' "$theirs"
printf 'ratio (ingest / duckdb):  %6.2f\n' "$(echo "$ours / $theirs" | bc -l)"
