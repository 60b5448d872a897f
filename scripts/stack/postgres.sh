# shellcheck shell=bash
# Postgres: a private cluster in $STACK_DIR/postgres on 127.0.0.1:$PG_PORT.
# Postgres refuses to run as root, so as root we run it as the Debian
# package's `postgres` user (the package is installed when missing).

PG_PORT=${PG_PORT:-$((55432 + STACK_PORT_OFFSET))}
PG_DIR="$STACK_DIR/postgres"

pg_bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [[ -n $d && -x $d/initdb ]] && echo "$d"
}

pg_ensure_installed() {
  pg_bindir >/dev/null && return 0
  [[ $(id -u) -eq 0 ]] || die "Postgres is not installed; run: sudo apt-get install -y postgresql"
  log "installing Postgres (apt-get install postgresql)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q postgresql >/dev/null 2>&1 ||
    { apt-get update -q >/dev/null && apt-get install -y -q postgresql >/dev/null; } ||
    die "apt-get install postgresql failed"
  # The package starts its own cluster on 5432; we do not need it.
  if command -v pg_ctlcluster >/dev/null; then
    for c in /etc/postgresql/*/; do
      [[ -d $c ]] && { pg_ctlcluster "$(basename "$c")" main stop 2>/dev/null || true; }
    done
  fi
  pg_bindir >/dev/null || die "Postgres binaries not found after install"
}

# pg_as_owner CMD...: run CMD as the cluster owner.
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_ready() {
  "$(pg_bindir)/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d ingest -U ingest
}

postgres_up() {
  pg_ensure_installed
  if pg_ready; then log "postgres already running on $PG_PORT"; else pg_start; fi
  pg_create_databases
}

pg_start() {
  local bin; bin=$(pg_bindir)
  if [[ ! -f $PG_DIR/data/PG_VERSION ]]; then
    log "initdb $PG_DIR"
    rm -rf "$PG_DIR"; mkdir -p "$PG_DIR"
    local pw="$STACK_DIR/.pgpass-init"
    echo ingest >"$pw"
    if [[ $(id -u) -eq 0 ]]; then chown postgres: "$PG_DIR" "$pw"; fi
    # The postgres user must be able to reach $PG_DIR (every parent dir +x).
    pg_as_owner test -w "$PG_DIR" ||
      die "user postgres cannot write $PG_DIR (a parent directory is not traversable); set STACK_DIR elsewhere"
    pg_as_owner "$bin/initdb" -D "$PG_DIR/data" -U ingest --pwfile="$pw" \
      --auth=scram-sha-256 --no-sync -E UTF8 --locale=C.UTF-8 >"$STACK_DIR/logs/postgres-initdb.log" 2>&1 ||
      die "initdb failed, see $STACK_DIR/logs/postgres-initdb.log"
    rm -f "$pw"
  fi
  # Socket in our own dir: /var/run/postgresql may not exist or be writable.
  pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $PG_PORT -c unix_socket_directories='$PG_DIR'" \
    start >/dev/null || die "postgres failed to start, see $PG_DIR/postgres.log"
  wait_until 60 "postgres pg_isready" "$bin/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" || die "postgres not ready"
}

pg_create_databases() {
  local bin; bin=$(pg_bindir)
  # Database `ingest` (created once).
  if ! PGPASSWORD=ingest "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U ingest -d postgres -tAc \
      "SELECT 1 FROM pg_database WHERE datname='ingest'" | grep -q 1; then
    PGPASSWORD=ingest "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U ingest -d postgres -qc "CREATE DATABASE ingest" ||
      die "CREATE DATABASE ingest failed"
  fi
  # Role and database for Druid's metadata store (same file as docker-compose).
  PGPASSWORD=ingest "$bin/psql" -h 127.0.0.1 -p "$PG_PORT" -U ingest -d postgres -q -v ON_ERROR_STOP=1 \
    -f "$REPO/druid/postgres-init.sql" >/dev/null || die "druid/postgres-init.sql failed"
  pg_ready || die "postgres does not accept connections to database ingest"
}

postgres_down() {
  local bin; bin=$(pg_bindir) || return 0
  [[ -f $PG_DIR/data/postmaster.pid ]] || return 0
  pg_as_owner "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

postgres_status() { pg_bindir >/dev/null && pg_ready; }

postgres_env() {
  echo "export DATABASE_URL=postgres://ingest:ingest@127.0.0.1:$PG_PORT/ingest"
}
