#!/usr/bin/env bash
# Dashboard (frontend/) tasks: install, check, build, e2e.
#
#   scripts/frontend.sh install   apt chromium if missing, npm ci (cache in ~/.cache/ingest/npm)
#   scripts/frontend.sh check     licences of production dependencies, tsc, eslint,
#                                 generated API types up to date, vitest
#   scripts/frontend.sh build     vite build → frontend/dist (served by `ingest serve` at /)
#   scripts/frontend.sh e2e       browser test against $E2E_BASE_URL (a running `ingest serve`)
#   scripts/frontend.sh all       install, check, build
#
# e2e environment: E2E_BASE_URL (required), E2E_DATA_CSV (default ../data.csv from frontend/,
# i.e. <repo>/data.csv), E2E_EXPECTED_ROWS, E2E_TIMEOUT_MS, E2E_SCREENSHOT_DIR
# (default <repo>/artifacts/screenshots), E2E_MISCONFIGURED_URL (optional: a server
# whose Druid has a wrong S3 endpoint; adds e2e/druid-misconfigured.test.mjs),
# E2E_AUTH_URL + E2E_WRITE_TOKEN + E2E_READ_TOKEN (optional: a server that requires
# tokens; adds e2e/auth.test.mjs).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FRONTEND="$ROOT/frontend"
NPM_CACHE="${NPM_CACHE:-$HOME/.cache/ingest/npm}"
CHROMIUM="${E2E_CHROMIUM:-/usr/bin/chromium}"

log() { printf '\n== frontend: %s\n' "$*" >&2; }

need_node() {
  command -v node >/dev/null || { echo "node is not installed (Node 20+ needed)" >&2; exit 1; }
  command -v npm >/dev/null || { echo "npm is not installed" >&2; exit 1; }
  local major
  major="$(node -p 'process.versions.node.split(".")[0]')"
  if (( major < 20 )); then echo "Node $major is too old; Node 20+ needed" >&2; exit 1; fi
}

install_chromium() {
  if [[ -x "$CHROMIUM" ]]; then return; fi
  log "installing Debian's chromium"
  local sudo=""
  if [[ $(id -u) -ne 0 ]]; then sudo="sudo"; fi
  $sudo apt-get update
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y --no-install-recommends chromium fonts-liberation
}

cmd_install() {
  need_node
  install_chromium
  log "npm ci"
  mkdir -p "$NPM_CACHE"
  (cd "$FRONTEND" && npm ci --cache "$NPM_CACHE" --prefer-offline --no-audit --no-fund)
}

ensure_deps() {
  if [[ ! -d "$FRONTEND/node_modules" || "$FRONTEND/package-lock.json" -nt "$FRONTEND/node_modules/.package-lock.json" ]]; then
    cmd_install
  fi
}

cmd_check() {
  need_node
  ensure_deps
  cd "$FRONTEND"
  # npm audit is unavailable here (the registry answers 405): the licence
  # check and the pinned package-lock.json are the dashboard's supply chain.
  log "licences of production dependencies (package-lock.json)"
  node scripts/check-licenses.mjs
  log "typecheck (tsc)"
  npx tsc -b
  log "lint (eslint)"
  npx eslint . --max-warnings 0
  log "generated API types match openapi.json"
  npm run --silent check:api
  log "unit tests (vitest)"
  local report
  report="$(mktemp --suffix=.json)"
  local rc=0
  npx vitest run --reporter=default --reporter=json --outputFile="$report" || rc=$?
  # One plain summary line ("vitest: N passed, N failed") for tools that read the closing lines.
  node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(`vitest: ${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$report" || true
  rm -f "$report"
  return "$rc"
}

cmd_build() {
  need_node
  ensure_deps
  cd "$FRONTEND"
  log "build → frontend/dist"
  npx tsc -b
  npx vite build
  test -f dist/index.html
}

cmd_e2e() {
  need_node
  if [[ -z "${E2E_BASE_URL:-}" ]]; then
    echo "E2E_BASE_URL is not set: start \`ingest serve\` with frontend/dist built and set e.g. E2E_BASE_URL=http://127.0.0.1:8000" >&2
    exit 2
  fi
  ensure_deps
  install_chromium
  cd "$FRONTEND"
  local files=(e2e/dashboard.test.mjs e2e/docs.test.mjs e2e/datasources.test.mjs e2e/replace.test.mjs e2e/preview.test.mjs)
  # With a server whose Druid is misconfigured (scripts/e2e.sh starts one when
  # the stack runs druid-broken), also what a person sees then.
  [[ -z ${E2E_MISCONFIGURED_URL:-} ]] || files+=(e2e/druid-misconfigured.test.mjs)
  # With a server that requires tokens, the token flow.
  [[ -z ${E2E_AUTH_URL:-} ]] || files+=(e2e/auth.test.mjs)
  log "e2e against $E2E_BASE_URL${E2E_MISCONFIGURED_URL:+ and $E2E_MISCONFIGURED_URL (misconfigured Druid)}${E2E_AUTH_URL:+ and $E2E_AUTH_URL (tokens required)}"
  node --test --test-reporter=spec "${files[@]}"
}

case "${1:-}" in
  install) cmd_install ;;
  check) cmd_check ;;
  build) cmd_build ;;
  e2e) cmd_e2e ;;
  all) cmd_install; cmd_check; cmd_build ;;
  *)
    sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
