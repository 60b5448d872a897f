#!/usr/bin/env bash
# Runs every test of the project, from a fresh machine:
#   1. installs what the tests need (Debian packages, the S3 server, Druid,
#      npm packages, Chromium) — each cached under ~/.cache/ingest;
#   2. starts the real stack on loopback (scripts/stack.sh);
#   3. checks formatting and lints, the supply chain (cargo-deny: licences,
#      sources, bans, advisories from the offline RustSec snapshot in
#      ../shared), then runs the Rust tests against the stack;
#   4. type-checks, lints and unit-tests the dashboard, then drives it in
#      Chromium against a real `ingest serve`.
# The stack is stopped on exit. .ci/run calls exactly this.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}
export PATH="$HOME/.cargo/bin:/usr/local/go/bin:$PATH"
# The whole stack: Postgres, the S3 server, ZooKeeper, Druid, and the two
# deliberately misconfigured Druid overlords the misconfiguration tests use.
export STACK_SERVICES=${STACK_SERVICES:-"postgres s3 zookeeper druid druid-broken"}
export STACK_DIR=${STACK_DIR:-$REPO/.stack}

step() { printf '\n==> %s (%s)\n' "$*" "$(date +%T)"; }

step "formatting and lints"
cargo fmt --all --check
cargo clippy --release --workspace --all-targets -- -D warnings

step "supply chain: licences, sources, bans, advisories (cargo-deny, offline)"
scripts/deny.sh

step "starting the stack: $STACK_SERVICES"
trap 'scripts/stack.sh down >/dev/null 2>&1 || true' EXIT
scripts/stack.sh up
eval "$(scripts/stack.sh env)"

step "Rust tests"
cargo test --release --workspace --no-fail-fast

if [[ -f frontend/package.json ]]; then
  step "dashboard: install, type-check, lint, unit tests, build"
  scripts/frontend.sh install
  scripts/frontend.sh check
  scripts/frontend.sh build

  step "dashboard in Chromium against a real server"
  scripts/e2e.sh
fi

step "all tests passed"
