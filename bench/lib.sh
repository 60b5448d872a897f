# Shared by the bench scripts (sourced after `set -euo pipefail` and
# `REPO=…`): the binary under test, a server on a free loopback port, a
# scratch folder cleaned up on exit, and anonymous memory (RssAnon) readings.

WORK=$(mktemp -d)
SERVER=
SAMPLER=
# A script may name a function here to run first on exit (e.g. deleting
# what it stored in the stack's S3 server).
BENCH_EXIT_HOOK=
bench_cleanup() {
  [[ -n $BENCH_EXIT_HOOK ]] && "$BENCH_EXIT_HOOK"
  [[ -n $SAMPLER ]] && kill "$SAMPLER" 2>/dev/null
  [[ -n $SERVER ]] && kill "$SERVER" 2>/dev/null
  rm -rf "$WORK"
}
trap bench_cleanup EXIT

# Sets BIN: $INGEST_BIN when given; the existing release binary with
# BENCH_NO_BUILD=1; otherwise a release build of the binaries, which
# resolves the same crate features as the tests' `--all-targets` and so
# reuses their build (neither recompiles Polars for the other).
bench_binary() {
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}
  BIN=${INGEST_BIN:-}
  [[ -n $BIN ]] && return
  BIN="$CARGO_TARGET_DIR/release/ingest"
  [[ -n ${BENCH_NO_BUILD:-} ]] || (cd "$REPO" && cargo build --release --workspace --bins) >&2
}

# bench_serve [env arguments…]: starts `$BIN serve` on a free loopback port
# with `env`'s arguments (`-u NAME`, then `NAME=value`), its log in
# $WORK/server.log; sets PORT and SERVER and returns once it answers.
bench_serve() {
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  env "$@" INGEST_LISTEN="127.0.0.1:$PORT" "$BIN" serve >"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$PORT/" >/dev/null 2>&1 && return
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log"; exit 1; }
    sleep 0.1
  done
  echo "the server did not answer within 30 s" >&2
  cat "$WORK/server.log" >&2
  exit 1
}

# RssAnon of process PID in KiB (empty once it has exited).
rss_anon() { awk '/^RssAnon:/ {print $2}' "/proc/$1/status" 2>/dev/null || true; }

# bench_measure COMMAND…: runs it (output discarded; kept in
# $WORK/measured.log), sampling its RssAnon every 50 ms; prints
# "SECONDS PEAK_RSSANON_MIB" and fails if the command does.
bench_measure() {
  local t0 t1 pid peak=0 kb
  t0=$(date +%s.%N)
  "$@" >"$WORK/measured.log" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    kb=$(rss_anon "$pid")
    [[ -n $kb && $kb -gt $peak ]] && peak=$kb
    sleep 0.05
  done
  wait "$pid" || { cat "$WORK/measured.log" >&2; return 1; }
  t1=$(date +%s.%N)
  printf '%.2f %d\n' "$(echo "$t1 - $t0" | bc)" $((peak / 1024))
}
