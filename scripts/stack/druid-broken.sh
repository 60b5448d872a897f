# shellcheck shell=bash
# "druid-broken": deliberately misconfigured Druid overlords (one per section
# of druid-broken.properties: a wrong S3 endpoint, wrong S3 credentials). The
# tests point the server at them to prove that a wrong S3 setting is caught by
# the preflight and named by `ingest doctor`. They need the real stack's
# Postgres and ZooKeeper; each starts in ~10 s and takes ~400 MB.

DRUID_BROKEN_PROPS="$HERE/druid-broken.properties"
DRUID_BROKEN_VARIANTS=(endpoint credentials)

# druid_broken_section VARIANT: the property lines of that section.
druid_broken_section() {
  awk -v s="[$1]" '/^\[/ { on = ($0 == s); next } on && /^[^#[:space:]]/' "$DRUID_BROKEN_PROPS" | stack_ports
}
druid_broken_prop() { druid_broken_section "$1" | awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2) }'; }
druid_broken_url() { echo "http://127.0.0.1:$(druid_broken_prop "$1" druid.plaintextPort)"; }
druid_broken_healthy() { curl -fs -m 5 "$(druid_broken_url "$1")/status/health" | grep -q true; }

druid_broken_up() {
  druid_ensure_assembled
  zookeeper_status || die "druid-broken needs zookeeper running"
  postgres_status || die "druid-broken needs postgres running (metadata store)"
  mkdir -p "$DRUID_RUN"
  local v t0 db port; t0=$(now_s)
  for v in "${DRUID_BROKEN_VARIANTS[@]}"; do
    if druid_broken_healthy "$v"; then log "  druid-broken-$v already running"; continue; fi
    port=$(druid_broken_prop "$v" druid.plaintextPort)
    port_open "$port" && die "port $port (druid-broken-$v) is taken by another program"
    # Its own metadata database, so it never manages the real cluster's segments.
    db=$(druid_broken_prop "$v" druid.metadata.storage.connector.connectURI); db=${db##*/}
    PGPASSWORD=ingest "$(pg_bindir)/psql" -h 127.0.0.1 -p "$PG_PORT" -U ingest -d postgres \
      -q -v ON_ERROR_STOP=1 >/dev/null <<<"SELECT 'CREATE DATABASE $db OWNER druid'
        WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '$db')\gexec" ||
      die "could not create database $db"
    druid_render_conf coordinator "broken-$v" <(druid_broken_section "$v")
    druid_start_service coordinator "broken-$v"
  done
  for v in "${DRUID_BROKEN_VARIANTS[@]}"; do
    wait_until "${DRUID_START_TIMEOUT:-300}" "druid-broken-$v health" druid_broken_healthy "$v" ||
      { tail -30 "$STACK_DIR/logs/druid-broken-$v.log" >&2; die "druid-broken-$v did not start"; }
    log "  druid-broken-$v healthy after $(elapsed "$t0")"
  done
}

druid_broken_down() {
  local v
  for v in "${DRUID_BROKEN_VARIANTS[@]}"; do stop_pid "druid-broken-$v"; done
}

druid_broken_status() {
  local v
  for v in "${DRUID_BROKEN_VARIANTS[@]}"; do druid_broken_healthy "$v" || return 1; done
}

druid_broken_env() {
  local v
  for v in "${DRUID_BROKEN_VARIANTS[@]}"; do
    echo "export DRUID_URL_BROKEN_${v^^}=$(druid_broken_url "$v")"
  done
}
