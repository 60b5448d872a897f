# shellcheck shell=bash
# Common helpers for scripts/stack.sh. Sourced, not executed.

# STACK_PORT_OFFSET (default 0) is added to every port the stack uses, so a
# second instance (own STACK_DIR) can run next to the first one, e.g. to try
# a Druid setting without touching a stack others use:
#   STACK_DIR=/tmp/try STACK_PORT_OFFSET=1000 scripts/stack.sh up
STACK_PORT_OFFSET=${STACK_PORT_OFFSET:-0}
[[ $STACK_PORT_OFFSET =~ ^[0-9]+$ ]] || { echo "STACK_PORT_OFFSET must be a number" >&2; exit 2; }

log()  { printf '[stack %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die()  { log "ERROR: $*"; exit 1; }

# now_s: seconds since epoch with sub-second precision, for timings.
now_s() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now_s)" 'BEGIN { printf "%.1fs", b - a }'; }

# wait_until TIMEOUT_S DESCRIPTION CMD...: retry CMD every 0.5 s.
wait_until() {
  local timeout=$1 what=$2; shift 2
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      log "timed out after ${timeout}s waiting for: $what"
      return 1
    fi
    sleep 0.5
  done
}

# Pid files: one per process we start, in $STACK_DIR/pids/NAME.pid.
pidfile() { echo "$STACK_DIR/pids/$1.pid"; }

pid_alive() {
  local f; f=$(pidfile "$1")
  [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# start_bg NAME LOGFILE CMD...: start CMD detached (own session, so a Ctrl-C in
# the calling shell does not kill it) and record its pid.
start_bg() {
  local name=$1 logfile=$2; shift 2
  mkdir -p "$STACK_DIR/pids" "$(dirname "$logfile")"
  setsid "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$(pidfile "$name")"
}

# stop_pid NAME: TERM the recorded process, wait up to 30 s, then KILL.
stop_pid() {
  local name=$1 f pid
  f=$(pidfile "$name")
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      log "$name did not stop in 30s, killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$f"
}

# http_ok URL: true when URL answers 2xx.
http_ok() { curl -fs -m 5 -o /dev/null "$1"; }

# Free TCP port check (loopback): true when something listens on it.
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# s3_curl ARGS...: curl signed with AWS SigV4 against the local S3 server.
# curl 7.x does not send x-amz-content-sha256, which S3 servers require;
# UNSIGNED-PAYLOAD is accepted and curl signs that value.
s3_curl() {
  curl -fsS -m 60 --aws-sigv4 "aws:amz:${S3_REGION}:s3" \
    --user "${S3_ACCESS_KEY}:${S3_SECRET_KEY}" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# ensure_cmd CMD DEBIAN_PACKAGE: install the package when CMD is missing
# (as root; a fresh machine may lack it), else say what to install.
ensure_cmd() {
  command -v "$1" >/dev/null && return 0
  [[ $(id -u) -eq 0 ]] || die "$1 is missing: apt-get install -y $2"
  log "installing $2 (for $1)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q "$2" >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q "$2" >/dev/null; } ||
    die "apt-get install $2 failed"
}
