#!/usr/bin/env bash
# The staging rehearsal of the recipe application's migration batch (docs/runbook.md), against
# a running cluster that preloads pg_stat_statements and audit:
#   1. staging: the schema of migrations/base with generated data (hundreds of thousands of
#      rows), and the application's queries (migrations/workload.sql) running under pgbench
#      from here to the end;
#   2. before: lint the batch, capture a performance baseline (with exact row counts), create a
#      restore point;
#   3. apply migrations/safe/ with the event triggers enforcing (audit.enforcement = block);
#   4. after: VACUUM ANALYZE what the backfill rewrote, measure the workload again, verify
#      constraints, indexes and lock waiters, compare performance (20% threshold), row counts;
#   5. decide: audit.go_no_go() plus any migration that failed;
#   6. the unsafe first draft (migrations/unsafe/) on a copy of the same data: what the event
#      trigger refused, and why.
# The report goes to stdout, a JSON copy to OUT/report.json. Exit 0: proceed; 1: defer; 2: the
# rehearsal itself could not run.
#   scripts/rehearse.sh PORT [--scale S] [--window SECONDS] [--out DIR] [--reuse]
#                            [--fault drop-index|invalid-constraint|lost-rows|lock-held|long-transaction]
# --fault injects a known problem, which must turn the verdict to defer: an index the workload
# needs dropped after the batch; the foreign keys left unvalidated (0003 skipped); rows lost by
# the backfill; a session holding a lock the workload waits for (after the batch); a session
# whose open transaction holds a lock the batch needs (before it). --reuse keeps an existing
# generated database (same scale) instead of generating it again.
# The rehearsal's own queries run with lock_timeout = 10s: a lock held by someone else turns
# into a blocker that names the session, never into a rehearsal that waits forever.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
PORT=${1:?port}; shift
SCALE=1; WINDOW=15; OUT=target/rehearsal; FAULT=; REUSE=
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --fault) FAULT=$2; shift 2 ;;
    --reuse) REUSE=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
case "$FAULT" in ''|drop-index|invalid-constraint|lost-rows|lock-held|long-transaction) ;; *) echo "unknown fault $FAULT" >&2; exit 2 ;; esac
mkdir -p "$OUT/parts"; rm -f "$OUT"/parts/*
export PGHOST=/tmp PGPORT=$PORT PGUSER=postgres PGOPTIONS="-c client_min_messages=warning -c lock_timeout=10s"
Q=(psql -X -q -At -v ON_ERROR_STOP=1)          # values
T=(psql -X -q -P footer=off -v ON_ERROR_STOP=1) # aligned tables for the report
BASE=recipes_base; DB=recipes; UNSAFE=recipes_unsafe
die() { echo "rehearsal failed: $*" >&2; exit 2; }
section() { printf '\n== %s\n\n' "$1"; }
ms() { date +%s%3N; }
secs() { echo "scale=2; $1 / 1000" | bc | sed 's/^\./0./'; }
declare -a BLOCKERS=()
# from_json FILE SQL PSQL...: SQL over a saved JSON result, passed as :'j'
from_json() { echo "$2" | "${@:3}" -d "$DB" -v "j=$(cat "$1")"; }
# Sessions of others (not this script, not the workload) holding table locks in an open
# transaction: who blocks a migration that timed out on its lock.
holders() {
  "${Q[@]}" -d "$DB" -c "SELECT string_agg(format('pid %s (%s, %s, transaction open %s): %s', a.pid, a.usename, a.state,
             date_trunc('second', now() - a.xact_start), left(regexp_replace(a.query, '\s+', ' ', 'g'), 80)), '; ')
        FROM pg_stat_activity a
       WHERE a.datname = current_database() AND a.pid <> pg_backend_pid()
         AND a.application_name <> 'pgbench' AND a.xact_start < now() - interval '1 second'
         AND EXISTS (SELECT FROM pg_locks l WHERE l.pid = a.pid AND l.locktype = 'relation' AND l.granted)" 2>/dev/null
}
# hold SQL: another session runs SQL in a transaction and stays in it
hold() {
  PGAPPNAME=audit-fault-holder PGOPTIONS="-c client_min_messages=warning" \
    psql -X -q -d "$DB" -c "BEGIN" -c "$1" -c "SELECT pg_sleep(3600)" >/dev/null 2>&1 &
  HOLDER=$!
  sleep 1
}

echo "audit staging rehearsal of migrations/safe ($(date -u '+%Y-%m-%d %H:%M UTC'), PostgreSQL $PG_MAJOR, port $PORT)"
[ -n "$FAULT" ] && echo "fault injected: $FAULT"

section "1. Staging database"
t0=$(ms)
have=$("${Q[@]}" -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$BASE'")
if [ -z "$REUSE" ] || [ "$have" = 0 ] || [ "$("${Q[@]}" -d "$BASE" -c "SELECT coalesce(obj_description('recipes'::regclass), '')" 2>/dev/null)" != "scale $SCALE" ]; then
  "${Q[@]}" -d postgres -c "DROP DATABASE IF EXISTS $BASE" -c "CREATE DATABASE $BASE" || die "cannot create $BASE"
  "${Q[@]}" -d "$BASE" -c "CREATE EXTENSION audit" -c "CREATE EXTENSION pg_stat_statements" \
    -f migrations/base/schema.sql >/dev/null || die "base schema"
  "${Q[@]}" -d "$BASE" -v scale="$SCALE" -f migrations/base/data.sql >/dev/null || die "data"
  "${Q[@]}" -d "$BASE" -c "COMMENT ON TABLE recipes IS 'scale $SCALE'" -c "VACUUM ANALYZE" >/dev/null 2>&1 || die "vacuum"
  echo "generated at scale $SCALE in $(secs $(( $(ms) - t0 ))) s"
else
  echo "reusing $BASE (scale $SCALE)"
fi
for d in "$DB" "$UNSAFE"; do
  "${Q[@]}" -d postgres -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d TEMPLATE $BASE" || die "copy $d"
done
"${T[@]}" -d "$DB" -c "SELECT c.relname AS \"table\", to_char(c.reltuples::bigint, 'FM9,999,999') AS rows,
         pg_size_pretty(pg_total_relation_size(c.oid)) AS size
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
   ORDER BY c.reltuples DESC"
RECIPES=$("${Q[@]}" -d "$DB" -c "SELECT max(id) FROM recipes"); USERS=$("${Q[@]}" -d "$DB" -c "SELECT max(id) FROM users")

# the application's queries, from now to the end: 5-second pgbench runs back to back, so that a
# client stopped by an error starts again and each run leaves its figures
STOP=$OUT/stop-workload; rm -f "$STOP"; : > "$OUT/workload.log"
workload() {
  while [ ! -f "$STOP" ]; do
    PGOPTIONS="-c client_min_messages=warning" "$PG_BIN/pgbench" -n -c 2 -j 2 -R 100 -T 5 -f migrations/workload.sql \
      -D recipes="$RECIPES" -D users="$USERS" "$DB" >> "$OUT/workload.log" 2>&1 || echo "pgbench run failed" >> "$OUT/workload.log"
  done
}
workload & WORKLOAD=$!
HOLDER=
cleanup() {
  touch "$STOP"
  # the fault's session: its backend sleeps on after its psql is gone, so end it in the server
  [ -n "$HOLDER" ] && "${Q[@]}" -d postgres -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
      WHERE application_name = 'audit-fault-holder'" >/dev/null 2>&1
  wait "$WORKLOAD" 2>/dev/null
}
trap cleanup EXIT
echo
echo "workload: migrations/workload.sql under pgbench (2 clients, 100 transactions/s), running until the end"

section "2. Before: lint, baseline, restore point"
printf '%-34s %7s %9s  %s\n' "migration" "errors" "warnings" "rules"
lint_errors=0
for f in migrations/safe/0*.sql; do
  # (psql interpolates :'m' in its input, not in -c)
  read -r e w rules < <(echo "SELECT count(*) FILTER (WHERE severity = 'error'), count(*) FILTER (WHERE severity = 'warning'),
               coalesce(string_agg(DISTINCT rule, ','), '-') FROM audit.lint(:'m') WHERE ignored IS NULL" \
    | "${Q[@]}" -d "$DB" -v "m=$(cat "$f")" -F ' ') || die "lint $f"
  printf '%-34s %7s %9s  %s\n' "$(basename "$f")" "$e" "$w" "$rules"
  lint_errors=$((lint_errors + e))
  echo "SELECT jsonb_build_object('file', '$(basename "$f")') || audit.lint_json(:'m')" \
    | "${Q[@]}" -d "$DB" -v "m=$(cat "$f")" > "$OUT/parts/lint-$(basename "$f" .sql).json"
done
[ "$lint_errors" -gt 0 ] && BLOCKERS+=("lint: $lint_errors error findings in migrations/safe")
"${Q[@]}" -d "$DB" -c "SELECT pg_stat_statements_reset()" >/dev/null
echo
echo "measuring the workload for ${WINDOW} s before the batch ..."
sleep "$WINDOW"
"${Q[@]}" -d "$DB" -c "SELECT pg_stat_force_next_flush()" >/dev/null 2>&1 || true
if [ "$FAULT" = long-transaction ]; then
  hold "SELECT count(*) FROM recipe_ingredients"
  echo "(fault: a session reads recipe_ingredients and stays in its transaction)"
fi
BASELINE=1
if ! out=$("${T[@]}" -d "$DB" -c "SELECT label AS baseline, statements, tables, indexes FROM audit.capture_baseline('before-batch', exact => true, replace => true)" 2>&1); then
  BASELINE=
  echo "$out"
  H=$(holders)
  BLOCKERS+=("baseline: could not be captured: $(echo "$out" | grep -m1 ERROR | sed 's/.*ERROR:  *//')${H:+; locks held by $H}")
else
  echo "$out"
fi
"${T[@]}" -d "$DB" -c "SELECT 'before-batch' AS restore_point, audit.restore_point('before-batch') AS lsn" || die "restore point"

section "3. Apply migrations/safe (audit.enforcement = $("${Q[@]}" -d "$DB" -c "SHOW audit.enforcement"))"
printf '%-34s %-9s %9s  %s\n' "migration" "outcome" "seconds" "notes"
applied=0; failed=
for f in migrations/safe/0*.sql; do
  name=$(basename "$f")
  if [ "$FAULT" = invalid-constraint ] && [ "$name" = 0003_validate_foreign_keys.sql ]; then
    printf '%-34s %-9s %9s  %s\n' "$name" "skipped" "-" "(fault: the validation step left out)"
    continue
  fi
  t0=$(ms)
  out=$(PGOPTIONS="-c client_min_messages=notice" psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "$f" 2>&1); rc=$?
  dt=$(secs $(( $(ms) - t0 )))
  notes=$(echo "$out" | sed -n 's/.*\(NOTICE\|WARNING\):  *//p' | grep -v 'already exists, skipping' | paste -sd';' -)
  if [ $rc = 0 ]; then
    printf '%-34s %-9s %9s  %s\n' "$name" "applied" "$dt" "${notes:--}"
    applied=$((applied + 1))
    python3 -c 'import json,sys; print(json.dumps({"file": sys.argv[1], "outcome": "applied", "seconds": float(sys.argv[2]), "notes": sys.argv[3]}))' "$name" "$dt" "$notes" > "$OUT/parts/apply-$name.json"
  else
    err=$(echo "$out" | grep -m1 'ERROR:' | sed 's/.*ERROR:  *//')
    printf '%-34s %-9s %9s  %s\n' "$name" "FAILED" "$dt" "$err"
    echo "$out" | grep -E 'DETAIL|HINT' | sed 's/^/    /'
    python3 -c 'import json,sys; print(json.dumps({"file": sys.argv[1], "outcome": "failed", "seconds": float(sys.argv[2]), "error": sys.argv[3]}))' "$name" "$dt" "$err" > "$OUT/parts/apply-$name.json"
    failed=$name
    held=
    echo "$err" | grep -q 'lock timeout' && held=$(holders)
    [ -n "$held" ] && echo "    sessions holding locks in open transactions: $held"
    BLOCKERS+=("migration failed: $name: $err${held:+; blocked by $held}")
    break
  fi
  if [ "$FAULT" = lost-rows ] && [ "$name" = 0007_category_backfill.sql ]; then
    n=$("${Q[@]}" -d "$DB" -c "WITH d AS (DELETE FROM recipe_ingredients WHERE recipe_id % 97 = 0 RETURNING 1) SELECT count(*) FROM d")
    printf '%-34s %-9s %9s  %s\n' "" "" "" "(fault: the backfill lost $n recipe_ingredients rows)"
  fi
done
if [ "$FAULT" = drop-index ]; then
  "${Q[@]}" -d "$DB" -c "DROP INDEX CONCURRENTLY recipes_category_idx" >/dev/null
  echo "(fault: a cleanup dropped recipes_category_idx, which the category page uses)"
fi

section "4. After: vacuum, workload, verification, performance, row counts"
if out=$("${Q[@]}" -d "$DB" -c "VACUUM ANALYZE recipes" 2>&1); then
  echo "VACUUM ANALYZE recipes (the backfill rewrote every row)"
else
  echo "VACUUM ANALYZE recipes failed: $out"
  BLOCKERS+=("vacuum after the batch: $(echo "$out" | grep -m1 ERROR | sed 's/.*ERROR:  *//')")
fi
if [ "$FAULT" = lock-held ]; then
  hold "LOCK TABLE ratings IN SHARE MODE"
  echo "(fault: another session holds SHARE on ratings and stays in its transaction)"
fi
# the after window starts once the batch is in: the apply itself is not part of it
"${Q[@]}" -d "$DB" -c "SELECT pg_stat_statements_reset()" >/dev/null
echo "measuring the workload for ${WINDOW} s after the batch ..."
sleep "$WINDOW"
"${Q[@]}" -d "$DB" -c "SELECT pg_stat_force_next_flush()" >/dev/null 2>&1 || true
echo
echo "-- verification (audit.verify_migrations(): what is not a pass)"
# run once; the table and the JSON copy are read from the same result
"${Q[@]}" -d "$DB" -c "SELECT audit.verify_migrations_json()" > "$OUT/parts/verify.json"
if [ "$(from_json "$OUT/parts/verify.json" "SELECT (:'j')::jsonb->>'status'" "${Q[@]}")" = pass ]; then
  echo "every check passed: $(from_json "$OUT/parts/verify.json" "SELECT string_agg(DISTINCT c->>'check_name', ', ')
      FROM jsonb_array_elements((:'j')::jsonb->'checks') c" "${Q[@]}")"
else
  from_json "$OUT/parts/verify.json" "SELECT c->>'check_name' AS check_name, c->>'status' AS status, c->>'object' AS object,
         left(c->>'detail', 110) AS detail
    FROM jsonb_array_elements((:'j')::jsonb->'checks') c WHERE c->>'status' <> 'pass'
   ORDER BY 2, 1, 3" "${T[@]}"
fi
echo
if [ -n "$BASELINE" ]; then
  echo "-- performance (audit.compare_baseline('before-batch'): mean ms per call; 20% threshold)"
  "${T[@]}" -d "$DB" -c "SELECT status, before AS ms_before, after AS ms_after, change_pct AS \"change %\", left(object, 90) AS query
      FROM audit.compare_baseline('before-batch') WHERE kind = 'query' ORDER BY change_pct DESC NULLS LAST"
  echo
  echo "-- row counts (exact, against the baseline)"
  "${T[@]}" -d "$DB" -c "SELECT object AS \"table\", before::bigint, after::bigint, after::bigint - before::bigint AS change, status
      FROM audit.compare_baseline('before-batch') WHERE kind = 'table_rows' ORDER BY object"
  "${T[@]}" -d "$DB" -c "SELECT count(*) AS recipes, count(*) FILTER (WHERE category_id IS NULL) AS without_category_id
      FROM recipes" 2>/dev/null || echo "(recipes.category_id does not exist: the backfill did not run)"
  "${Q[@]}" -d "$DB" -c "SELECT jsonb_agg(to_jsonb(c)) FROM audit.compare_baseline('before-batch') c" > "$OUT/parts/compare.json"
  echo
else
  echo "(no baseline: performance and row counts are not judged)"
fi
echo
tail_runs=$(grep -c '^number of transactions actually processed' "$OUT/workload.log")
tx=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$OUT/workload.log" | paste -sd+ - | bc)
echo "workload so far: ${tx:-0} transactions in $tail_runs pgbench runs, $(grep -c 'pgbench run failed' "$OUT/workload.log") runs ended by an error"

section "5. Decision"
if [ -n "$BASELINE" ]; then
  # run once; the table, the blockers and the JSON copy are read from the same verdict
  "${Q[@]}" -d "$DB" -c "SELECT audit.go_no_go_json('before-batch')" > "$OUT/parts/go_no_go.json"
  from_json "$OUT/parts/go_no_go.json" "SELECT (:'j')::jsonb->>'verdict' AS verdict, coalesce(b->>'blocker', '-') AS blocker,
         coalesce(b->>'object', '-') AS object, left(b->>'detail', 100) AS detail
    FROM (SELECT 1) x LEFT JOIN jsonb_array_elements((:'j')::jsonb->'blockers') b ON true" "${T[@]}"
  while IFS='|' read -r blocker object detail; do
    [ -n "$blocker" ] && BLOCKERS+=("$blocker: $object ($detail)")
  done < <(from_json "$OUT/parts/go_no_go.json" "SELECT b->>'blocker', left(b->>'object', 100), left(b->>'detail', 140)
      FROM jsonb_array_elements((:'j')::jsonb->'blockers') b" "${Q[@]}")
else
  echo "(no baseline: audit.go_no_go() cannot judge)"
fi

section "6. The unsafe first draft (migrations/unsafe), on a copy of the same data"
printf '%-34s %-9s %-26s %s\n' "migration" "outcome" "rule" "why"
for f in migrations/unsafe/0*.sql; do
  name=$(basename "$f")
  out=$(psql -X -q -v ON_ERROR_STOP=1 -d "$UNSAFE" -f "$f" 2>&1); rc=$?
  if [ $rc = 0 ]; then
    why=$(echo "$out" | sed -n 's/.*WARNING:  //p' | head -1)
    rule=$(echo "$out" | sed -n 's/^DETAIL:  Rule \([a-z-]*\).*/\1/p' | head -1)
    outcome=$([ -n "$why" ] && echo warned || echo applied)
    [ -z "$(grep -vE '^\s*(--.*)?$' "$f")" ] && why="(nothing to do)"
  else
    # the error, and the rule named in the DETAIL that follows it (warnings come before it)
    why=$(echo "$out" | grep -m1 'ERROR:' | sed 's/.*ERROR:  *//')
    rule=$(echo "$out" | sed -n '/ERROR:/,$ s/^DETAIL:  Rule \([a-z-]*\).*/\1/p' | head -1)
    outcome=$([ -n "$rule" ] && echo refused || echo failed)
  fi
  printf '%-34s %-9s %-26s %s\n' "$name" "$outcome" "${rule:--}" "${why:--}"
  python3 -c 'import json,sys; print(json.dumps(dict(zip(["file","outcome","rule","message"], sys.argv[1:]))))' \
    "$name" "$outcome" "$rule" "$why" > "$OUT/parts/unsafe-$name.json"
done

section "Verdict"
touch "$STOP"
if [ ${#BLOCKERS[@]} = 0 ]; then VERDICT=proceed; else VERDICT=defer; fi
if [ "$VERDICT" = proceed ]; then
  echo "PROCEED: $applied migrations applied, every check passed, no query more than 20% (and 0.1 ms) slower, no rows lost."
else
  echo "DEFER: ${#BLOCKERS[@]} blocker(s):"
  printf '  - %s\n' "${BLOCKERS[@]}"
  echo "Roll back (migrations/safe/rollback, newest first) or fix and rehearse again; docs/runbook.md says what to do about each blocker."
fi
python3 - "$OUT" "$VERDICT" "$FAULT" "${BLOCKERS[@]}" <<'PY'
import glob, json, os, sys
out, verdict, fault, blockers = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
def load(pattern):
    return [json.load(open(p)) for p in sorted(glob.glob(os.path.join(out, "parts", pattern)))]
report = {
    "verdict": verdict, "blockers": blockers, "fault": fault or None,
    "lint": load("lint-*.json"), "apply": load("apply-*.json"),
    "verification": (load("verify.json") or [None])[0],
    "compare": (load("compare.json") or [None])[0],
    "go_no_go": (load("go_no_go.json") or [None])[0],
    "unsafe": load("unsafe-*.json"),
}
json.dump(report, open(os.path.join(out, "report.json"), "w"), indent=2)
PY
echo "(report.json: $OUT/report.json)"
[ "$VERDICT" = proceed ]
