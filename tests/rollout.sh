#!/usr/bin/env bash
# The main job (scripts/rehearse.sh) judged against faults injected into the batch: with none
# the verdict is proceed (exit 0); a dropped index the workload needs, foreign keys left
# unvalidated, rows lost by the backfill, a session holding a lock the workload waits for and a
# long transaction that keeps the batch from its lock each turn it to defer (exit 1) and are
# named as the blocker, in the report and its JSON. The
# unsafe first draft is refused by the event trigger, rule by rule.
#   tests/rollout.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
OUT=target/rollout; rm -rf "$OUT"; mkdir -p "$OUT"
# run NAME [FAULT]: the rehearsal at a fifth of the default size, its exit status
run() {
  scripts/rehearse.sh "$PORT" --scale 0.2 --window 6 --reuse --out "$OUT/$1" ${2:+--fault "$2"} > "$OUT/$1.txt" 2>&1
  echo $?
}
json() { python3 -c "import json,sys; d=json.load(open('$OUT/$1/report.json')); print($2)"; }

check_eq "no fault: exit 0" "$(run clean)" "0"
check_has "no fault: the report ends with PROCEED" "$(tail -2 "$OUT/clean.txt" | head -1)" '^PROCEED: 9 migrations applied'
check_eq "no fault: report.json says proceed, no blockers" "$(json clean 'd["verdict"], len(d["blockers"])')" "proceed 0"
check_eq "no fault: every migration applied" "$(json clean 'sum(a["outcome"] == "applied" for a in d["apply"])')" "9"
check_has "no fault: the backfill's row count is reported" "$(grep '^0007_category_backfill.sql  *applied' "$OUT/clean.txt")" 'backfill: 60000 rows filled in 6 batches, 0 rows without category_id'
check_eq "the unsafe draft: refused by rule, statement by statement" \
  "$(json clean '",".join(u["rule"] for u in d["unsafe"] if u["outcome"] == "refused")')" \
  "add-unique-constraint,fk-not-valid,check-not-valid,require-concurrent-index,fk-not-valid,set-not-null"
check_eq "the unsafe draft: the cleanup warned" "$(json clean '[u["outcome"] for u in d["unsafe"]][-1]')" "warned"

for fault in drop-index invalid-constraint lost-rows lock-held long-transaction; do
  rc=$(run "$fault" "$fault")
  check_eq "$fault: exit 1" "$rc" "1"
  check_has "$fault: the report ends with DEFER" "$(grep -A1 '^== Verdict' -m1 "$OUT/$fault.txt" | tail -1; grep '^DEFER' "$OUT/$fault.txt")" '^DEFER'
  blockers=$(json "$fault" '"\n".join(d["blockers"])')
  case "$fault" in
    drop-index) want='^query regression: .*FROM recipes WHERE category = ' ;;
    invalid-constraint) want='^constraints validated: public.recipes.recipes_author_fk' ;;
    lost-rows) want='^row count loss: public.recipe_ingredients (240000 -> ' ;;
    lock-held) want='^no lock waiters: pid [0-9]* (waiting .* for RowExclusiveLock on public.ratings, blocked by pid [0-9]*' ;;
    long-transaction) want='^migration failed: 0001_unique_constraints.sql: canceling statement due to lock timeout; blocked by pid [0-9]* (postgres, ' ;;
  esac
  check_has "$fault: named as the blocker" "$blockers" "$want"
  check_eq "$fault: report.json says defer" "$(json "$fault" 'd["verdict"]')" "defer"
done
summary rollout
