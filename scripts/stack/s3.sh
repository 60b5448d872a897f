# shellcheck shell=bash
# S3-compatible object store on 127.0.0.1:$S3_PORT.
#
# Server: Versity S3 Gateway (versitygw, Apache-2.0), built from its Go module
# and pinned below. MinIO is not used: its server is AGPL-3.0, which this
# project's dependency policy rules out. versitygw speaks the same S3 API
# (SigV4 auth, path-style buckets, multipart uploads) and stores objects as
# plain files under $STACK_DIR/s3/data, so it behaves like MinIO for the
# service and for Druid.

VGW_VERSION=${VGW_VERSION:-v1.8.0}
S3_PORT=${S3_PORT:-$((59000 + STACK_PORT_OFFSET))}
S3_REGION=${S3_REGION:-us-east-1}
S3_ACCESS_KEY=${S3_ACCESS_KEY:-ingestadmin}
S3_SECRET_KEY=${S3_SECRET_KEY:-ingestadmin-secret}
S3_BUCKETS=${S3_BUCKETS:-ingest druid}
S3_URL="http://127.0.0.1:$S3_PORT"
S3_DIR="$STACK_DIR/s3"
VGW_BIN="$CACHE_DIR/versitygw-$VGW_VERSION/versitygw"

s3_ensure_built() {
  [[ -x $VGW_BIN ]] && return 0
  command -v go >/dev/null || die "go is required to build versitygw (expected /usr/local/go/bin/go)"
  log "building versitygw $VGW_VERSION from the Go module proxy (once per machine)"
  GOBIN=$(dirname "$VGW_BIN") GOFLAGS=-mod=mod CGO_ENABLED=0 \
    go install "github.com/versity/versitygw/cmd/versitygw@$VGW_VERSION" ||
    die "building versitygw failed"
}

# Health endpoint mirrors MinIO's path, so clients and compose health checks
# written for MinIO work unchanged.
s3_healthy() { http_ok "$S3_URL/minio/health/live"; }

s3_up() {
  s3_ensure_built
  if s3_healthy; then log "s3 already running on $S3_PORT"; else
    port_open "$S3_PORT" && die "port $S3_PORT is taken by another program"
    mkdir -p "$S3_DIR/data" "$S3_DIR/meta"
    ROOT_ACCESS_KEY_ID=$S3_ACCESS_KEY ROOT_SECRET_ACCESS_KEY=$S3_SECRET_KEY \
      start_bg s3 "$STACK_DIR/logs/s3.log" "$VGW_BIN" \
        --port "127.0.0.1:$S3_PORT" --region "$S3_REGION" \
        --health /minio/health/live --quiet \
        posix --sidecar "$S3_DIR/meta" "$S3_DIR/data"
    wait_until 30 "s3 health" s3_healthy || die "s3 server did not start, see $STACK_DIR/logs/s3.log"
  fi
  local b
  for b in $S3_BUCKETS; do
    if ! s3_curl -o /dev/null -I "$S3_URL/$b" 2>/dev/null; then
      s3_curl -o /dev/null -X PUT "$S3_URL/$b" || die "could not create bucket $b"
      log "created bucket $b"
    fi
  done
}

s3_down() { stop_pid s3; }

s3_status() { s3_healthy; }

s3_env() {
  cat <<EOT
export S3_ENDPOINT=$S3_URL
export S3_BUCKET=ingest
export S3_REGION=$S3_REGION
export AWS_ACCESS_KEY_ID=$S3_ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$S3_SECRET_KEY
EOT
}
