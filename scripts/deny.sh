#!/usr/bin/env bash
# Supply chain of the Rust workspace: `cargo deny check` (licences, sources,
# bans and RustSec advisories; policy and exceptions in deny.toml), offline.
#
#   scripts/deny.sh [CHECK...]     e.g. scripts/deny.sh advisories
#
# cargo-deny is installed from crates.io once per machine, pinned, into
# ~/.cache/ingest/cargo-deny-$DENY_VERSION. Advisories come from the RustSec
# snapshot in shared/ (../shared beside the repository, or
# $INGEST_ADVISORY_SNAPSHOT): the database's git host is unreachable here, so
# nothing is fetched and advisories newer than the snapshot are not seen.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$REPO"
export PATH="$HOME/.cargo/bin:$PATH"
CACHE_DIR=${INGEST_CACHE_DIR:-$HOME/.cache/ingest}
DENY_VERSION=0.20.2
DENY_ROOT="$CACHE_DIR/cargo-deny-$DENY_VERSION"
SNAPSHOT=${INGEST_ADVISORY_SNAPSHOT:-$REPO/../shared/rustsec-advisory-db}
# The directory cargo-deny $DENY_VERSION opens under its db-path for deny.toml's
# db-urls: "advisory-db-" + XxHash64 of the URL (src/advisories/helpers/db.rs).
# It changes only with the URL or cargo-deny's naming: re-derive it with
# `cargo deny -L debug check advisories` ("Opening advisory database at ...").
ADVISORY_DIR=advisory-db-3157b0e258782691

log() { printf '[deny %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

if [[ ! -x $DENY_ROOT/bin/cargo-deny ]]; then
  log "installing cargo-deny $DENY_VERSION from crates.io (once per machine, a few minutes)"
  # Built in cargo's own temporary directory, not the workspace's target dir.
  env -u CARGO_TARGET_DIR cargo install --locked --quiet cargo-deny --version "$DENY_VERSION" \
    --root "$DENY_ROOT" ||
    die "cargo install cargo-deny $DENY_VERSION failed"
fi

[[ -f $SNAPSHOT/SNAPSHOT.md && -d $SNAPSHOT/crates ]] ||
  die "no RustSec snapshot at $SNAPSHOT (set INGEST_ADVISORY_SNAPSHOT)"
# "taken at commit <sha> of <YYYY-MM-DD>" in SNAPSHOT.md.
read -r SNAP_COMMIT SNAP_DATE < <(tr '\n' ' ' <"$SNAPSHOT/SNAPSHOT.md" |
  grep -oE 'commit [0-9a-f]{40} of [0-9]{4}-[0-9]{2}-[0-9]{2}' | awk '{ print $2, $4 }') ||
  die "cannot read the snapshot's commit and date from $SNAPSHOT/SNAPSHOT.md"

# cargo-deny opens the database as a git checkout and takes its age from the
# commit (or .git/HEAD's mtime, whichever is newer): a throwaway repository
# whose commit and HEAD carry the snapshot's date, so the age is the real one
# (deny.toml's maximum-db-staleness judges it).
DBS=$(mktemp -d)
trap 'rm -rf "$DBS"' EXIT
DB="$DBS/$ADVISORY_DIR"
mkdir -p "$DB"
cp -R "$SNAPSHOT/crates" "$SNAPSHOT/rust" "$SNAPSHOT/support.toml" "$DB/"
chmod -R u+w "$DB"   # shared/ is read-only; cargo-deny only reads, git needs to write .git
git -C "$DB" init -q -b main
git -C "$DB" add -A
GIT_AUTHOR_DATE="${SNAP_DATE}T00:00:00Z" GIT_COMMITTER_DATE="${SNAP_DATE}T00:00:00Z" \
  git -C "$DB" -c user.name=rustsec-snapshot -c user.email=snapshot@invalid \
  -c commit.gpgsign=false commit -q -m "RustSec advisory-db $SNAP_COMMIT"
touch -d "${SNAP_DATE}T00:00:00Z" "$DB/.git/HEAD"

log "cargo deny check ${*:-(all)}: advisories as of $SNAP_DATE (RustSec ${SNAP_COMMIT:0:12}); newer ones are not checked"
INGEST_ADVISORY_DBS="$DBS" "$DENY_ROOT/bin/cargo-deny" deny --offline --log-level warn \
  check --hide-inclusion-graph "$@"
