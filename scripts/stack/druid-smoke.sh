# shellcheck shell=bash
# `scripts/stack.sh smoke`: proves the running stack end to end the way the
# ingest service uses it: a CSV in bucket `ingest`, the sampler, an
# index_parallel task reading it through Druid's s3 input source, segments
# pushed to S3 deep storage and loaded, and a SQL count through the router
# (tasks and the sampler go to the overlord itself, as the service does).

SMOKE_DATASOURCE=${SMOKE_DATASOURCE:-probe}
SMOKE_KEY=${SMOKE_KEY:-probe/tiny.csv}

# json_field NAME: value of the first "NAME":"string" or "NAME":number in
# stdin's JSON (enough for Druid's flat answers; no jq on a bare machine).
json_field() {
  tr -d '\n' | grep -oE "\"$1\":[[:space:]]*(\"[^\"]*\"|[0-9.-]+)" | head -1 |
    sed -E "s/^\"$1\":[[:space:]]*\"?//; s/\"$//"
}

# druid_post URL PATH: POST stdin's JSON.
druid_post() { curl -fsS -m 120 -H 'Content-Type: application/json' -X POST "$1$2" -d @-; }

# smoke_spec TYPE: the ingestion spec (the "spec" object of a task or a
# sampler request). Druid 25's sampler knows only type "index"; tasks use
# "index_parallel", the type the ingest service submits.
smoke_spec() {
  cat <<EOT
{
  "ioConfig": {
    "type": "$1",
    "inputSource": {"type": "s3", "objects": [{"bucket": "ingest", "path": "$SMOKE_KEY"}]},
    "inputFormat": {"type": "csv", "findColumnsFromHeader": true},
    "appendToExisting": false
  },
  "dataSchema": {
    "dataSource": "$SMOKE_DATASOURCE",
    "timestampSpec": {"column": "ts", "format": "iso"},
    "dimensionsSpec": {"dimensions": ["city", {"type": "long", "name": "amount"}]},
    "granularitySpec": {"segmentGranularity": "day", "queryGranularity": "none", "rollup": false}
  },
  "tuningConfig": {"type": "$1"}
}
EOT
}

druid_smoke() {
  druid_status || die "Druid is not up: run scripts/stack.sh up"
  local t0 t csv id status n
  t0=$(now_s)
  csv="$STACK_DIR/smoke.csv"
  printf 'ts,city,amount\n2024-01-01T00:00:00Z,Paris,3\n2024-01-01T01:00:00Z,Lyon,5\n2024-01-02T00:00:00Z,Nice,7\n' >"$csv"
  s3_curl -o /dev/null -T "$csv" "$S3_URL/ingest/$SMOKE_KEY" || die "upload to s3://ingest/$SMOKE_KEY failed"
  log "smoke: uploaded s3://ingest/$SMOKE_KEY (3 rows)"

  # Sampler: Druid reads the object and parses it without ingesting.
  t=$(now_s)
  n=$( { echo '{"type": "index", "samplerConfig": {"numRows": 10}, "spec":'; smoke_spec index; echo '}'; } |
    druid_post "$DRUID_OVERLORD_URL" /druid/indexer/v1/sampler | json_field numRowsIndexed) || die "sampler request failed"
  [[ $n == 3 ]] || die "sampler indexed '$n' rows, expected 3"
  log "smoke: sampler read 3 rows in $(elapsed "$t")"

  t=$(now_s)
  id=$( { echo '{"type": "index_parallel", "spec":'; smoke_spec index_parallel; echo '}'; } | druid_post "$DRUID_OVERLORD_URL" /druid/indexer/v1/task | json_field task) || die "task submission failed"
  [[ -n $id ]] || die "no task id returned"
  log "smoke: task $id submitted"
  local deadline=$((SECONDS + 300))
  while :; do
    status=$(curl -fsS -m 10 "$DRUID_OVERLORD_URL/druid/indexer/v1/task/$id/status" | json_field statusCode) || true
    [[ $status == SUCCESS ]] && break
    [[ $status == FAILED ]] && {
      curl -fsS -m 10 "$DRUID_OVERLORD_URL/druid/indexer/v1/task/$id/status" >&2; echo >&2
      die "task $id FAILED (log: curl $DRUID_OVERLORD_URL/druid/indexer/v1/task/$id/log)"
    }
    ((SECONDS < deadline)) || die "task $id still '$status' after 300s"
    sleep 2
  done
  log "smoke: task SUCCESS in $(elapsed "$t")"

  # Segments are published to S3 deep storage; wait until a historical loads
  # them and the broker answers the count.
  t=$(now_s)
  deadline=$((SECONDS + 180))
  while :; do
    n=$(echo "{\"query\": \"SELECT COUNT(*) AS n, SUM(amount) AS s FROM \\\"$SMOKE_DATASOURCE\\\"\", \"resultFormat\": \"array\"}" |
      druid_post "$DRUID_ROUTER_URL" /druid/v2/sql 2>/dev/null | tr -d '[:space:]') || true
    [[ $n == '[[3,15]]' ]] && break
    ((SECONDS < deadline)) || die "SQL count is '$n', expected [[3,15]] after 180s"
    sleep 2
  done
  log "smoke: SQL sees 3 rows (sum 15) after $(elapsed "$t")"
  log "smoke: OK in $(elapsed "$t0")"
}
