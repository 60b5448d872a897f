#!/usr/bin/env bash
# Local development/CI stack without Docker: Postgres, an S3 server,
# ZooKeeper and a single-machine Apache Druid, all on 127.0.0.1.
#
#   scripts/stack.sh up|down|status|env|smoke
#
# STACK_SERVICES selects services (default "postgres s3 zookeeper druid";
# "minio" is accepted as another name for "s3"; "druid-broken" adds the
# deliberately misconfigured Druid overlord the tests use, never by default). Runtime data and pid files live
# in STACK_DIR (default $REPO/.stack); downloads and builds are cached in
# ~/.cache/ingest so they happen once per machine. STACK_PORT_OFFSET (default
# 0) shifts every port, for a second stack beside the first (with its own
# STACK_DIR); DRUID_WORKER=middlemanager runs Druid tasks in a JVM each
# instead of in the Indexer (druid/README.md).
set -euo pipefail
# shellcheck source-path=SCRIPTDIR

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK_DIR=${STACK_DIR:-$REPO/.stack}
CACHE_DIR=${INGEST_CACHE_DIR:-$HOME/.cache/ingest}
export CACHE_DIR
export PATH="$PATH:/usr/local/go/bin"

HERE="$REPO/scripts/stack"
# shellcheck source=stack/lib.sh
source "$HERE/lib.sh"
# shellcheck source=stack/postgres.sh
source "$HERE/postgres.sh"
# shellcheck source=stack/s3.sh
source "$HERE/s3.sh"
# shellcheck source=stack/zookeeper.sh
source "$HERE/zookeeper.sh"
# shellcheck source=stack/druid.sh
source "$HERE/druid.sh"
# shellcheck source=stack/druid-broken.sh
source "$HERE/druid-broken.sh"

DEFAULT_SERVICES="postgres s3 zookeeper druid"
# Every service, in start order (functions are named <service>_up etc., with
# '-' spelled '_').
ALL_SERVICES="$DEFAULT_SERVICES druid-broken"
fn() { echo "${1//-/_}_$2"; }

# Normalised, ordered list of the selected services.
selected_services() {
  local want=" ${STACK_SERVICES:-$DEFAULT_SERVICES} " s out=()
  want=${want// minio / s3 }
  for s in $ALL_SERVICES; do
    [[ $want == *" $s "* ]] && out+=("$s")
  done
  for s in $want; do
    [[ " $ALL_SERVICES " == *" $s "* ]] || die "unknown service '$s' (known: $ALL_SERVICES minio)"
  done
  echo "${out[@]}"
}

cmd_up() {
  mkdir -p "$STACK_DIR/logs" "$STACK_DIR/pids"
  local s t0 total; total=$(now_s)
  local services; services=$(selected_services)
  # Druid needs ZooKeeper, its metadata store (Postgres) and deep storage (S3).
  if [[ " $services " == *" druid "* ]]; then
    for s in postgres s3 zookeeper; do
      [[ " $services " == *" $s "* ]] || "${s}_status" || die "druid needs $s: add it to STACK_SERVICES"
    done
  fi
  for s in $services; do
    t0=$(now_s)
    log "starting $s"
    "$(fn "$s" up)"
    log "$s up in $(elapsed "$t0")"
  done
  log "stack up in $(elapsed "$total"): $services"
  log "environment: eval \"\$(scripts/stack.sh env)\""
}

# Stops the services named in STACK_SERVICES, or all of them.
cmd_down() {
  local s list=() services=$ALL_SERVICES
  [[ -z ${STACK_SERVICES:-} ]] || services=$(selected_services)
  for s in $services; do list=("$s" "${list[@]}"); done   # reverse order
  for s in "${list[@]}"; do "$(fn "$s" down)"; done
  log "stack down"
}

# Prints every service; exits non-zero when a selected one does not answer.
cmd_status() {
  local s rc=0 selected; selected=" $(selected_services) "
  for s in $ALL_SERVICES; do
    if "$(fn "$s" status)" >/dev/null 2>&1; then
      printf '%-13s up\n' "$s"
    else
      printf '%-13s down\n' "$s"
      [[ $selected == *" $s "* ]] && rc=1
    fi
  done
  return $rc
}

cmd_env() {
  local s
  for s in $ALL_SERVICES; do
    if "$(fn "$s" status)" >/dev/null 2>&1; then "$(fn "$s" env)"; fi
  done
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) cmd_env ;;
  smoke) druid_smoke ;;
  *) echo "usage: $0 up|down|status|env|smoke   (STACK_SERVICES=\"$DEFAULT_SERVICES\", also: druid-broken)" >&2; exit 2 ;;
esac
