#!/usr/bin/env bash
# The scenario suite: pgrx-tests/sql/*.sql through psql against a throwaway cluster, output
# compared with pgrx-tests/expected/*.out (pg_regress). Assumes the extension is installed.
#   scripts/regress.sh [test ...]     (default: pgrx-tests/schedule)
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${AUDIT_REGRESS_PORT:-54329}
DATA=${AUDIT_REGRESS_DATA:-/tmp/audit-regress/data}
PGXS=$(/usr/lib/postgresql/15/bin/pg_config --pgxs)
PG_REGRESS=$(dirname "$PGXS")/../test/regress/pg_regress
mkdir -p "$(dirname "$DATA")"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$(dirname "$DATA")"
OUT=target/regress; rm -rf "$OUT"; mkdir -p "$OUT"
total_pass=0; total_fail=0; status=0
# run_suite NAME PRELOAD SCHEDULE [tests...]
run_suite() {
  local name=$1 preload=$2 schedule=$3; shift 3
  local out="$OUT/$name"; mkdir -p "$out"
  AUDIT_PRELOAD="$preload" scripts/cluster.sh start "$DATA" "$PORT"
  local args=(--schedule="$schedule"); [ $# -gt 0 ] && args=("$@")
  set +e
  "$PG_REGRESS" --host=/tmp --port="$PORT" --user=postgres \
    --inputdir=pgrx-tests --outputdir="$out" --dbname=audit_regress "${args[@]}" | tee "$out/summary.txt"
  local rc=${PIPESTATUS[0]}
  if [ "$name" = preloaded ] && [ $# -eq 0 ]; then
    scripts/corpus.sh "$PORT" | tee "$out/corpus.txt"
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    tests/baseline.sh "$PORT" | tee "$out/baseline.txt"
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    tests/lifecycle.sh "$PORT" | tee "$out/lifecycle.txt"
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    tests/concurrency.sh "$PORT" | tee "$out/concurrency.txt"
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    tests/fuzz/server.sh "$PORT" "${AUDIT_FUZZ_N:-100000}" | tee "$out/fuzz.txt"
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    tests/pg_regress_sql.sh "$PORT" | tee "$out/pgregress.txt"
    [ "${PIPESTATUS[0]}" = 0 ] || rc=1
  fi
  set -e
  scripts/cluster.sh stop "$DATA"
  total_pass=$((total_pass + $(grep -cE '^(ok|test) .* ok( |$)|^ok ' "$out/summary.txt" || true)))
  total_fail=$((total_fail + $(grep -cE 'FAILED' "$out/summary.txt" || true)))
  for extra in corpus baseline lifecycle concurrency fuzz pgregress; do
  if [ -f "$out/$extra.txt" ]; then
    cp=$(sed -n "s/^$extra: \([0-9]*\) passed.*/\1/p" "$out/$extra.txt"); cf=$(sed -n "s/^$extra: [0-9]* passed, \([0-9]*\) failed/\1/p" "$out/$extra.txt")
    total_pass=$((total_pass + ${cp:-0})); total_fail=$((total_fail + ${cf:-1}))
  fi
  done
  if [ "$rc" != 0 ]; then status=1; if [ -f "$out/regression.diffs" ]; then head -c 20000 "$out/regression.diffs"; fi; fi
}
trap 'scripts/cluster.sh stop "$DATA"' EXIT
if [ $# -gt 0 ]; then
  run_suite preloaded pg_stat_statements,audit pgrx-tests/schedule "$@"
else
  run_suite preloaded pg_stat_statements,audit pgrx-tests/schedule
  run_suite nopreload pg_stat_statements pgrx-tests/schedule-nopreload
fi
echo "scenarios: $total_pass passed, $total_fail failed"
exit "$status"
