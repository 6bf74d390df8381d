#!/usr/bin/env bash
# The whole test suite: formatting and lints, the pure rule crate and offline linter
# (cargo test), #[pg_test] units in a live server (cargo pgrx test), and the scenario suite
# (pgrx-tests/ through pg_regress against a throwaway cluster).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
echo "== cargo fmt --check"; cargo fmt --all -- --check
echo "== cargo clippy"; cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test (pure crates)"; cargo test -p audit-rules -p audit-lint
echo "== cargo pgrx test"
PGRX_DATA=${AUDIT_PGRX_DATA:-/tmp/audit-pgrx}
mkdir -p "$PGRX_DATA"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGRX_DATA"
if [ "$(id -u)" = 0 ]; then
  cargo pgrx test pg15 --runas postgres --pgdata "$PGRX_DATA/data"
else
  cargo pgrx test pg15
fi
echo "== scenario suite"
scripts/install.sh
scripts/regress.sh
