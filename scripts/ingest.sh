#!/usr/bin/env bash
# The `ingest` command line (serve, validate, upload, doctor), e.g.
#   scripts/ingest.sh upload data.csv --datasource sales
# Builds only the binaries (`--workspace --bins`): the test targets are most
# of a first build's link time and are not needed to serve. `--workspace`
# keeps crate features exactly what the tests' `--workspace --all-targets`
# resolves (`cargo run --bin ingest` / `-p api` would not, and would compile
# Polars a second time), so the tests reuse every library this builds.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}
export PATH="$HOME/.cargo/bin:$PATH"
(cd "$REPO" && cargo build --quiet --release --workspace --bins) >&2
exec "$CARGO_TARGET_DIR/release/ingest" "$@"
