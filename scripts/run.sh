#!/usr/bin/env bash
# Runs the service on a fresh machine with the embedded defaults (SQLite,
# a local object folder, a local Parquet sink under ./.ingest), building the
# dashboard when Node.js is available. Any INGEST_*, DATABASE_URL, S3_* or
# DRUID_URL in the environment is honoured.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}

if command -v npm >/dev/null 2>&1; then
  newest_source=$(find frontend/src frontend/index.html frontend/package-lock.json -newer frontend/dist/index.html 2>/dev/null | head -1 || true)
  if [[ ! -f frontend/dist/index.html || -n "$newest_source" ]]; then
    echo "building the dashboard (frontend/dist)…"
    (cd frontend && npm ci --no-audit --no-fund --cache "$HOME/.cache/ingest/npm" && npx vite build)
  fi
else
  echo "npm not found: serving the API without the dashboard" >&2
fi

exec scripts/ingest.sh serve "$@"
