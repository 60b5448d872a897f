#!/usr/bin/env bash
# The `ingest` command line (serve, validate, upload, doctor), e.g.
#   scripts/ingest.sh upload data.csv --datasource sales
# Built exactly as the tests build it (`--workspace --all-targets`), because
# `cargo run --bin ingest` resolves crate features differently and would
# compile Polars a second time.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/ingest/target}
export PATH="$HOME/.cargo/bin:$PATH"
(cd "$REPO" && cargo build --quiet --release --workspace --all-targets) >&2
exec "$CARGO_TARGET_DIR/release/ingest" "$@"
