# shellcheck shell=bash source-path=SCRIPTDIR
# Single-machine Apache Druid on loopback: coordinator (with the overlord in
# it), broker, historical, indexer (or middleManager) and router, each a JVM started from
# the cached distribution (druid-dist.sh). Its configuration is DERIVED from
# druid/environment and druid/<service>.env, the files docker-compose.yml
# gives the apache/druid image, plus druid/local-overrides.properties.

# shellcheck source=druid-dist.sh
source "$HERE/druid-dist.sh"

DRUID_CONF_SRC="$REPO/druid"
DRUID_RUN="$STACK_DIR/druid"
# What runs ingestion tasks: the Indexer (default, as docker-compose.yml:
# tasks are threads of one JVM) or a middleManager forking a JVM per task.
DRUID_WORKER=${DRUID_WORKER:-indexer}
[[ $DRUID_WORKER == indexer || $DRUID_WORKER == middlemanager ]] ||
  die "DRUID_WORKER must be indexer or middlemanager, not '$DRUID_WORKER'"
DRUID_SERVICES=(coordinator historical "$DRUID_WORKER" broker router)

# Druid's command-line name of each service.
druid_cli_name() { [[ $1 == middlemanager ]] && echo middleManager || echo "$1"; }

# env_file lines (KEY=VALUE, # comments) -> "KEY=VALUE" lines, comments dropped.
env_lines() { grep -E '^[A-Za-z_][A-Za-z0-9_]*=' "$1" || true; }

# The apache/druid image convention: druid_a_b=v -> druid.a.b=v ('__' -> '_').
env_to_props() {
  env_lines "$1" | awk '/^druid_/ {
    i = index($0, "="); k = substr($0, 1, i - 1); v = substr($0, i + 1)
    gsub(/__/, "\001", k); gsub(/_/, ".", k); gsub(/\001/, "_", k)
    print k "=" v }'
}

# env_get FILE KEY: value of a non-property variable (DRUID_XMX, JAVA_OPTS...).
env_get() { env_lines "$1" | awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2) }' | tail -1; }

# Property lines -> this stack's ports: @PG_PORT@, @S3_PORT@ and @ZK_PORT@
# substituted, STACK_PORT_OFFSET added to Druid's own listening ports.
stack_ports() {
  sed -e "s#@PG_PORT@#$PG_PORT#g" -e "s#@S3_PORT@#$S3_PORT#g" -e "s#@ZK_PORT@#$ZK_PORT#g" |
    awk -F= -v OFS== -v off="$STACK_PORT_OFFSET" \
      '$1 ~ /^druid[.](plaintextPort|indexer[.]runner[.](startPort|endPort))$/ { $2 += off } { print }'
}

# Section [NAME] of local-overrides.properties, placeholders substituted.
local_overrides() {
  awk -v s="[$1]" '/^\[/ { on = ($0 == s); next } on && /^[^#[:space:]]/' \
    "$DRUID_CONF_SRC/local-overrides.properties" |
    sed -e "s#@STACK_DIR@#$STACK_DIR#g" -e "s#@DRUID_HOME@#$DRUID_HOME#g" | stack_ports
}

# Last occurrence of each key wins, first-seen order kept (Properties semantics).
dedupe_props() {
  awk '{ i = index($0, "="); k = substr($0, 1, i - 1)
         if (!(k in v)) order[n++] = k; v[k] = $0 }
       END { for (j = 0; j < n; j++) print v[order[j]] }'
}

druid_write_log4j() {
  mkdir -p "$1"
  env_get "$DRUID_CONF_SRC/environment" DRUID_LOG4J >"$1/log4j2.xml"
}

# druid_render_conf SVC [NAME [EXTRA_PROPERTIES_FILE]]: runtime.properties of
# SVC in $DRUID_RUN/conf/NAME; EXTRA lines (if given) override the rest.
druid_render_conf() {
  local svc=$1 name=${2:-$1} extra=${3:-}
  local dir="$DRUID_RUN/conf/$name"
  mkdir -p "$dir"
  {
    env_to_props "$DRUID_CONF_SRC/environment"
    env_to_props "$DRUID_CONF_SRC/$svc.env"
    local_overrides common
    local_overrides "$svc"
    [[ -z $extra ]] || grep -E '^[^#[:space:]]' "$extra"
  } | dedupe_props >"$dir/runtime.properties"
  druid_write_log4j "$dir"
}

# druid_prop SVC KEY: a property of the rendered configuration.
druid_prop() {
  awk -v k="$2" 'index($0, k "=") == 1 { print substr($0, length(k) + 2) }' \
    "$DRUID_RUN/conf/$1/runtime.properties" | tail -1
}

druid_port() {
  local p
  p=$(local_overrides "$1" | awk -F= '$1 == "druid.plaintextPort" { print $2 }')
  echo "${p:?no port for $1 in local-overrides.properties}"
}
DRUID_ROUTER_URL="http://127.0.0.1:$(druid_port router)"
# The coordinator runs the overlord too (druid/coordinator.env). The router's
# management proxy is off (druid/router.env), so task and coordinator APIs are
# asked of this process directly; only SQL goes through the router.
DRUID_OVERLORD_URL="http://127.0.0.1:$(druid_port coordinator)"

# druid_start_service SVC [NAME]: start Druid service SVC from the rendered
# configuration $DRUID_RUN/conf/NAME, recorded as process druid-NAME (NAME
# defaults to SVC; a second configuration of the same service uses another).
druid_start_service() {
  local svc=$1 name=${2:-$1} env="$DRUID_CONF_SRC/$1.env" opts=() v k
  # JVM options the image takes from DRUID_* variables.
  v=$(env_get "$env" DRUID_XMS); [[ -n $v ]] && opts+=("-Xms$v")
  v=$(env_get "$env" DRUID_XMX); [[ -n $v ]] && opts+=("-Xmx$v")
  v=$(env_get "$env" DRUID_MAXDIRECTMEMORYSIZE); [[ -n $v ]] && opts+=("-XX:MaxDirectMemorySize=$v")
  # JAVA_OPTS from both files, word-split like the image's druid.sh does.
  local java_opts=()
  read -ra java_opts <<<"$(env_get "$DRUID_CONF_SRC/environment" JAVA_OPTS) $(env_get "$env" JAVA_OPTS)"
  opts+=("${java_opts[@]}")
  # Other plain variables (e.g. AWS_REGION) go to the process environment.
  local envs=()
  while IFS= read -r v; do
    k=${v%%=*}
    [[ $k == druid_* || $k == DRUID_* || $k == JAVA_OPTS ]] || envs+=("$v")
  done < <(env_lines "$DRUID_CONF_SRC/environment"; env_lines "$env")
  mkdir -p "$DRUID_RUN/tmp"
  start_bg "druid-$name" "$STACK_DIR/logs/druid-$name.log" \
    env "${envs[@]}" java -server "${DRUID_JAVA17_FLAGS[@]}" "${opts[@]}" \
      -XX:+ExitOnOutOfMemoryError -Duser.timezone=UTC -Dfile.encoding=UTF-8 \
      -Djava.io.tmpdir="$DRUID_RUN/tmp" \
      -Djava.util.logging.manager=org.apache.logging.log4j.jul.LogManager \
      -cp "$DRUID_RUN/conf/$name:$DRUID_HOME/lib/*" \
      org.apache.druid.cli.Main server "$(druid_cli_name "$svc")"
}

druid_healthy() { curl -fs -m 5 "http://127.0.0.1:$(druid_port "$1")/status/health" | grep -q true; }
druid_has_worker() { curl -fs -m 5 "$DRUID_OVERLORD_URL/druid/indexer/v1/workers" | grep -q '"worker"'; }
druid_broker_ready() { curl -fs -m 5 -o /dev/null "http://127.0.0.1:$(druid_port broker)/druid/broker/v1/readiness"; }

druid_up() {
  druid_ensure_assembled
  zookeeper_status || die "druid needs zookeeper running"
  s3_status || die "druid needs the s3 server running"
  postgres_status || die "druid needs postgres running (metadata store)"
  local svc t0 pending=()
  t0=$(now_s)
  # Already serving (maybe started from another checkout): reuse it.
  if druid_status && druid_has_worker && druid_broker_ready; then
    log "druid already running (router $DRUID_ROUTER_URL)"; return 0
  fi
  mkdir -p "$DRUID_RUN"
  for svc in "${DRUID_SERVICES[@]}"; do
    if pid_alive "druid-$svc"; then continue; fi
    port_open "$(druid_port "$svc")" && die "port $(druid_port "$svc") ($svc) is taken by another program"
    druid_render_conf "$svc"
    druid_start_service "$svc"
  done
  # Report when each service answers /status/health (all start in parallel).
  pending=("${DRUID_SERVICES[@]}")
  local deadline=$((SECONDS + ${DRUID_START_TIMEOUT:-300}))
  while ((${#pending[@]})); do
    local still=()
    for svc in "${pending[@]}"; do
      if druid_healthy "$svc"; then
        log "  druid $svc healthy after $(elapsed "$t0")"
      elif ! pid_alive "druid-$svc"; then
        tail -30 "$STACK_DIR/logs/druid-$svc.log" >&2
        die "druid $svc exited, see $STACK_DIR/logs/druid-$svc.log"
      else
        still+=("$svc")
      fi
    done
    pending=("${still[@]}")
    ((${#pending[@]})) || break
    ((SECONDS < deadline)) || die "timed out waiting for druid: ${pending[*]} (logs in $STACK_DIR/logs)"
    sleep 1
  done
  wait_until 120 "overlord has a $DRUID_WORKER worker" druid_has_worker || die "no Druid worker registered"
  log "  druid overlord has a worker after $(elapsed "$t0")"
  wait_until 120 "broker readiness" druid_broker_ready || die "broker not ready"
  log "  druid broker ready after $(elapsed "$t0")"
}

druid_down() {
  local i
  for ((i = ${#DRUID_SERVICES[@]} - 1; i >= 0; i--)); do stop_pid "druid-${DRUID_SERVICES[i]}"; done
  # Whichever worker a stack started with another DRUID_WORKER.
  stop_pid druid-indexer
  stop_pid druid-middlemanager
}

druid_status() { curl -fs -m 5 "$DRUID_ROUTER_URL/status/health" | grep -q true; }

druid_env() {
  echo "export DRUID_URL=$DRUID_ROUTER_URL"
  echo "export DRUID_OVERLORD_URL=$DRUID_OVERLORD_URL"
  echo "export DRUID_COORDINATOR_URL=$DRUID_OVERLORD_URL"
}

# shellcheck source=druid-smoke.sh
source "$HERE/druid-smoke.sh"
