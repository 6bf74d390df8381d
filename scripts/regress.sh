#!/usr/bin/env bash
# The scenario suite: pgrx-tests/sql/*.sql through pg_regress against the running throwaway
# cluster on PORT, output compared with pgrx-tests/expected/*.out. Assumes the extension is
# installed. Prints "scenarios: N passed, M failed".
#   scripts/regress.sh PORT SCHEDULE|TEST... 
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
PORT=${1:?port}; shift
PG_REGRESS=$(dirname "$("$PG_CONFIG" --pgxs)")/../test/regress/pg_regress
OUT=target/regress/$(basename "${1:-tests}" .sql); rm -rf "$OUT"; mkdir -p "$OUT"
case "${1:-}" in
  *schedule*) args=(--schedule="$1") ;;
  *) args=("$@") ;;
esac
"$PG_REGRESS" --bindir="$PG_BIN" --host=/tmp --port="$PORT" --user=postgres \
  --inputdir=pgrx-tests --outputdir="$OUT" --dbname=audit_regress "${args[@]}" | tee "$OUT/summary.txt"
rc=${PIPESTATUS[0]}
pass=$(grep -cE '^(ok|test) .* ok( |$)|^ok ' "$OUT/summary.txt" || true)
fail=$(grep -cE 'FAILED|^not ok' "$OUT/summary.txt" || true)
if [ "$rc" != 0 ]; then
  [ -f "$OUT/regression.diffs" ] && head -c 20000 "$OUT/regression.diffs"
  [ "$fail" -gt 0 ] || fail=1
fi
summary scenarios
