#!/usr/bin/env bash
# The whole test suite, every part listed here:
#   formatting and lints; the pure crates (cargo test: rules and their test snippets, offline
#   linter, labelled corpus, robustness); #[pg_test] units inside a live server (cargo pgrx
#   test); then, against a throwaway cluster with the library preloaded: the scenario suite
#   (pg_regress), both front ends on the corpus and the rules' snippets, baselines around
#   pgbench, lifecycle and pg_dump/pg_restore, concurrency, live-server fuzzing and
#   PostgreSQL's own regression SQL; and the scenario suite again without preload.
# Prints "tests: N passed, M failed" (harness checks) and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/lib.sh
echo "== cargo fmt --check"; cargo fmt --all -- --check
echo "== cargo clippy"; cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test (pure crates)"; cargo test -p audit-rules -p audit-lint
echo "== cargo pgrx test"
PGRX_DATA=${AUDIT_PGRX_DATA:-/tmp/audit-pgrx}
mkdir -p "$PGRX_DATA"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGRX_DATA"
if [ "$(id -u)" = 0 ]; then
  cargo pgrx test "pg$PG_MAJOR" --runas postgres --pgdata "$PGRX_DATA/data"
else
  cargo pgrx test "pg$PG_MAJOR"
fi
echo "== install (with the test-only settings)"
scripts/install.sh --features test-hooks

PORT=${AUDIT_TEST_PORT:-54329}
DATA=${AUDIT_TEST_DATA:-/tmp/audit-regress/data}
LOGS=target/tests; rm -rf "$LOGS"; mkdir -p "$LOGS" "$(dirname "$DATA")"
[ "$(id -u)" = 0 ] && chown postgres:postgres "$(dirname "$DATA")"
trap 'scripts/cluster.sh stop "$DATA"' EXIT
pass=0; fail=0
# suite LABEL CMD...: run one harness, keep its output in target/tests/LABEL.txt, add its counts
suite() {
  local label=$1; shift
  echo "== $label"
  set +e
  "$@" 2>&1 | tee "$LOGS/$label.txt"
  set -e
  add_counts "$LOGS/$label.txt" "${SUMMARY_LABEL:-$label}"
}

AUDIT_PRELOAD=pg_stat_statements,audit scripts/cluster.sh start "$DATA" "$PORT"
SUMMARY_LABEL=scenarios suite scenarios-preloaded scripts/regress.sh "$PORT" pgrx-tests/schedule
suite corpus scripts/corpus.sh "$PORT"
suite baseline tests/baseline.sh "$PORT"
suite lifecycle tests/lifecycle.sh "$PORT"
suite concurrency tests/concurrency.sh "$PORT"
suite fuzz tests/fuzz/server.sh "$PORT" "${AUDIT_FUZZ_N:-100000}"
suite pgregress tests/pg_regress_sql.sh "$PORT"
suite standby tests/standby.sh "$PORT"
suite frontends tests/frontends.sh "$PORT" "${AUDIT_FUZZ_N:-100000}"
scripts/cluster.sh stop "$DATA"

AUDIT_PRELOAD=pg_stat_statements scripts/cluster.sh start "$DATA" "$PORT"
SUMMARY_LABEL=scenarios suite scenarios-nopreload scripts/regress.sh "$PORT" pgrx-tests/schedule-nopreload
scripts/cluster.sh stop "$DATA"

summary tests
