#!/usr/bin/env bash
# The whole test suite, every part listed here:
#   formatting and lints; the pure crates (cargo test: rules and their test snippets, offline
#   linter, labelled corpus, robustness); then for each of PostgreSQL 15, 16, 17 and 18:
#   #[pg_test] units inside a live server (cargo pgrx test), and against a throwaway cluster
#   with the library preloaded the scenario suite (pg_regress) and both front ends on the
#   corpus and the rules' snippets, `audit lint --db` equal to audit.lint() on both
#   (tests/lint_db.sh), --jobs giving the same bytes (tests/jobs.sh), what differs between versions (tests/versions.sh), lock-wait retries
#   against real blocking sessions (tests/retry.sh), the ProcessUtility hook (tests/hook.sh),
#   rehearsals with audit.trace() (tests/trace.sh) and from the client, proven equal
#   (tests/trace_db.sh), partitioned tables' hints run live
#   (tests/partitions.sh), the `audit` tool's validate, deploy and
#   rollback with injected faults, TLS and bad input (tests/tool.sh), the portable guard of
#   `audit install-guard` against an ordinary role's DDL (tests/guard.sh), validate and deploy
#   in databases without the extension (tests/managed.sh), every released version
#   upgraded in place to the current one (tests/upgrade.sh), a 100-migration schema bootstrapped
#   from empty with enforcement on (tests/bootstrap.sh), `-- audit:ignore` as the enforcement and
#   validate read it (tests/ignore.sh), then the scenario suite without
#   preload. After all versions: pg_upgrade from 15 to 18 with audit's tables full
#   (tests/pg_upgrade.sh), and the packages of scripts/package.sh installed with apt-get
#   and tested (tests/package.sh). On the newest
#   version also: baselines around pgbench, lifecycle and pg_dump/pg_restore, concurrency,
#   live-server fuzzing, PostgreSQL's own regression SQL, a hot standby, both front ends
#   compared on every fuzz input and regression file, and the recipe batch through sqitch and
#   Alembic (tests/runners.sh); every runner's layout and history table (tests/layouts.sh), and
#   dbmate, node-pg-migrate, diesel and sqitch beside audit on one database (tests/real_runners.sh).
#   AUDIT_TEST_VERSIONS="15 18" runs a subset; AUDIT_FULL_PG picks the fully tested one.
# Prints "tests: N passed, M failed" (harness checks) and exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/lib.sh
echo "== cargo fmt --check"; cargo fmt --all -- --check
echo "== cargo clippy"; cargo clippy --workspace --all-targets -- -D warnings
echo "== cargo test (pure crates)"; cargo test -p audit-rules -p audit-cli
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

# Every supported PostgreSQL: #[pg_test] units, the scenario suite with and without preload,
# and both front ends on the corpus and the rules' snippets. The newest also gets every
# live-server harness (its grammar is the offline linter's, so the front ends compare there).
FULL=${AUDIT_FULL_PG:-18}
for major in ${AUDIT_TEST_VERSIONS:-15 16 17 18}; do
  export AUDIT_PG=$major
  PG_CONFIG=$(pg_config_for "$major"); . scripts/lib.sh
  echo "== PostgreSQL $major: cargo pgrx test"
  PGRX_DATA=${AUDIT_PGRX_DATA:-/tmp/audit-pgrx}$major
  mkdir -p "$PGRX_DATA"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$PGRX_DATA"
  if [ "$(id -u)" = 0 ]; then
    cargo pgrx test "pg$major" --runas postgres --pgdata "$PGRX_DATA/data"
  else
    cargo pgrx test "pg$major"
  fi
  echo "== PostgreSQL $major: install (with the test-only settings)"
  scripts/install.sh --features test-hooks

  AUDIT_PRELOAD=pg_stat_statements,audit scripts/cluster.sh start "$DATA" "$PORT"
  SUMMARY_LABEL=scenarios suite "pg$major-scenarios-preloaded" scripts/regress.sh "$PORT" pgrx-tests/schedule
  SUMMARY_LABEL=corpus suite "pg$major-corpus" scripts/corpus.sh "$PORT"
  SUMMARY_LABEL=lint-db suite "pg$major-lint-db" tests/lint_db.sh "$PORT"
  SUMMARY_LABEL=jobs suite "pg$major-jobs" tests/jobs.sh "$PORT"
  SUMMARY_LABEL=versions suite "pg$major-versions" tests/versions.sh "$PORT"
  SUMMARY_LABEL=retry suite "pg$major-retry" tests/retry.sh "$PORT"
  SUMMARY_LABEL=hook suite "pg$major-hook" tests/hook.sh "$PORT"
  SUMMARY_LABEL=trace suite "pg$major-trace" tests/trace.sh "$PORT"
  SUMMARY_LABEL=trace-db suite "pg$major-trace-db" tests/trace_db.sh "$PORT"
  SUMMARY_LABEL=partitions suite "pg$major-partitions" tests/partitions.sh "$PORT"
  SUMMARY_LABEL=tool suite "pg$major-tool" tests/tool.sh "$PORT"
  SUMMARY_LABEL=layouts suite "pg$major-layouts" tests/layouts.sh "$PORT"
  SUMMARY_LABEL=guard suite "pg$major-guard" tests/guard.sh "$PORT"
  SUMMARY_LABEL=managed suite "pg$major-managed" tests/managed.sh "$PORT"
  SUMMARY_LABEL=upgrade suite "pg$major-upgrade" tests/upgrade.sh "$PORT"
  SUMMARY_LABEL=bootstrap suite "pg$major-bootstrap" tests/bootstrap.sh "$PORT"
  SUMMARY_LABEL=ignore suite "pg$major-ignore" tests/ignore.sh "$PORT"
  if [ "$major" = "$FULL" ]; then
    SUMMARY_LABEL=baseline suite "pg$major-baseline" tests/baseline.sh "$PORT"
    SUMMARY_LABEL=lifecycle suite "pg$major-lifecycle" tests/lifecycle.sh "$PORT"
    SUMMARY_LABEL=concurrency suite "pg$major-concurrency" tests/concurrency.sh "$PORT"
    SUMMARY_LABEL=fuzz suite "pg$major-fuzz" tests/fuzz/server.sh "$PORT" "${AUDIT_FUZZ_N:-100000}"
    SUMMARY_LABEL=pgregress suite "pg$major-pgregress" tests/pg_regress_sql.sh "$PORT"
    SUMMARY_LABEL=standby suite "pg$major-standby" tests/standby.sh "$PORT"
    SUMMARY_LABEL=frontends suite "pg$major-frontends" tests/frontends.sh "$PORT" "${AUDIT_FUZZ_N:-100000}"
    SUMMARY_LABEL=runners suite "pg$major-runners" tests/runners.sh "$PORT"
    SUMMARY_LABEL=real-runners suite "pg$major-real-runners" tests/real_runners.sh "$PORT"
  fi
  scripts/cluster.sh stop "$DATA"

  AUDIT_PRELOAD=pg_stat_statements scripts/cluster.sh start "$DATA" "$PORT"
  SUMMARY_LABEL=scenarios suite "pg$major-scenarios-nopreload" scripts/regress.sh "$PORT" pgrx-tests/schedule-nopreload
  SUMMARY_LABEL=hook suite "pg$major-hook-nopreload" tests/hook.sh "$PORT" nopreload
  scripts/cluster.sh stop "$DATA"
done

# pg_upgrade from the oldest to the newest version tested, audit installed in both
versions=" ${AUDIT_TEST_VERSIONS:-15 16 17 18} "
if [[ "$versions" == *" 15 "* && "$versions" == *" 18 "* ]]; then
  SUMMARY_LABEL=pg_upgrade suite "pg15-to-18-pg_upgrade" tests/pg_upgrade.sh "$((PORT + 30))"
fi

# the packages, installed as a DBA installs them (the last suite: it removes audit from 15)
if [[ "$versions" == *" 15 "* ]]; then
  echo "== packages"; scripts/package.sh 15 18 >/dev/null
  SUMMARY_LABEL=package suite "packages" tests/package.sh "$((PORT + 40))"
fi

summary tests
