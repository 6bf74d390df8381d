#!/usr/bin/env bash
# The recipe batch applied by two real migration runners installed from the package registries,
# sqitch (Debian) and Alembic (PyPI), against a live server with audit enforcing (block):
# the safe batch deploys; its rollbacks bring the schema back to where it was (pg_dump
# --schema-only compared); the unsafe first draft stops at its first unsafe statement with
# audit's error shown by the runner and changes nothing. Also: every safe migration run twice
# by psql changes nothing the second time, the rollbacks run twice likewise, and the cleanup
# (off by default) and its rollback.
#   tests/runners.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
use_server "$PORT"; P+=(-v ON_ERROR_STOP=1)
ROOT=$PWD
BASE=audit_runners_base
# schema only, without the runners' own bookkeeping (\restrict lines carry a random key)
dump() {
  "$PG_BIN/pg_dump" --schema-only --exclude-schema=sqitch --exclude-table=alembic_version "$1" \
    | grep -vE '^(--|\\(un)?restrict )'
}
fresh_db "$BASE"
"${P[@]}" -d "$BASE" -c "CREATE EXTENSION audit" -f migrations/base/schema.sql >/dev/null
"${P[@]}" -d "$BASE" -v scale=0.02 -f migrations/base/data.sql >/dev/null
"${P[@]}" -d "$BASE" -c "VACUUM ANALYZE" >/dev/null
fresh() { fresh_db "$1" "$BASE"; }
fp() { dump "$1" | md5sum | cut -c1-32; }
check_has "the dump holds the schema" "$(dump "$BASE")" 'CREATE TABLE public.recipes'
before=$(fp "$BASE")
check_eq "enforcement is block" "$("${P[@]}" -d "$BASE" -c "SHOW audit.enforcement")" "block"

# --- psql: idempotent migrations
fresh audit_runners_psql
ok=0
for pass in 1 2; do
  for f in migrations/safe/0*.sql; do
    "${P[@]}" -d audit_runners_psql -f "$f" >/dev/null 2>"$ROOT/target/runners-psql.err" || { ok=1; cat "$ROOT/target/runners-psql.err"; }
  done
  [ "$pass" = 1 ] && once=$(fp audit_runners_psql)
done
check "psql: the safe batch applies, twice" "$ok"
check_eq "psql: the second run changes nothing" "$(fp audit_runners_psql)" "$once"
check_has "psql: the batch did change the schema" "$(dump audit_runners_psql | grep -c 'recipes_category_fk\|recipes_author_fk\|ratings_score_check')" '^[3-9]'
out=$(PGOPTIONS="-c client_min_messages=notice -c recipe.cleanup=on" "${P[@]}" -d audit_runners_psql -f migrations/safe/0009_category_cleanup.sql 2>&1)
check_eq "psql: the cleanup, when switched on, drops recipes.category" "$("${P[@]}" -d audit_runners_psql -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'recipes'::regclass AND attname = 'category' AND NOT attisdropped")" "0"
"${P[@]}" -d audit_runners_psql -f migrations/safe/rollback/0009_category_cleanup.sql -f migrations/safe/0008_category_cutover.sql >/dev/null 2>&1
check_eq "psql: its rollback brings every name back" "$("${P[@]}" -d audit_runners_psql -c "SELECT count(*) FROM recipes r JOIN categories c ON c.id = r.category_id WHERE r.category IS DISTINCT FROM c.name")" "0"

# --- sqitch (Debian's package; psql runs each change)
SQ=(env SQITCH_FULLNAME=audit SQITCH_EMAIL=audit@example.com sqitch --chdir "$ROOT/migrations/runners/sqitch")
fresh audit_runners_sqitch
out=$("${SQ[@]}" deploy "db:pg:audit_runners_sqitch" 2>&1); rc=$?
check "sqitch: the safe batch deploys under enforcement" "$rc"
check_eq "sqitch: every change deployed" "$(echo "$out" | grep -c '^  + ')" "9"
check_eq "sqitch: the same schema as psql's" "$(fp audit_runners_sqitch)" "$once"
out=$("${SQ[@]}" revert -y "db:pg:audit_runners_sqitch" 2>&1); rc=$?
check_eq "sqitch: revert runs every rollback" "$rc $(echo "$out" | grep -c '^  - ')" "0 9"
check_eq "sqitch: after revert the schema is where it was" "$(fp audit_runners_sqitch)" "$before"
ok=0
for f in $(ls migrations/safe/rollback/0*.sql | sort -r); do
  "${P[@]}" -d audit_runners_sqitch -f "$f" >/dev/null 2>&1 || { ok=1; echo "rollback failed on a second run: $f"; }
done
check "the rollbacks run again without failing" "$ok"
check_eq "and change nothing" "$(fp audit_runners_sqitch)" "$before"
fresh audit_runners_sqitch_unsafe
out=$("${SQ[@]}" deploy --set batch=unsafe "db:pg:audit_runners_sqitch_unsafe" 2>&1); rc=$?
check_eq "sqitch: the unsafe draft fails" "$([ "$rc" != 0 ]; echo $?)" "0"
check_eq "sqitch: it stops at the first change" "$(echo "$out" | grep -c '^  + ') $(echo "$out" | grep -c '^  + 0001_unique_constraints')" "1 1"
check_has "sqitch: with audit's error" "$out" 'ERROR:  audit: adding UNIQUE constraint'
check_has "sqitch: and the rule" "$out" 'Rule add-unique-constraint'
check_eq "sqitch: nothing of it stays" "$(fp audit_runners_sqitch_unsafe)" "$before"

# --- Alembic (PyPI), on an autocommit connection
alembic() {
  PGOPTIONS="-c client_min_messages=notice" AUDIT_DATABASE_URL="postgresql+psycopg2://postgres@/$1?host=/tmp&port=$PORT" \
    "$AUDIT_RUNNERS/bin/alembic" -c "$ROOT/migrations/runners/alembic/alembic.ini" "${@:2}"
}
fresh audit_runners_alembic
out=$(alembic audit_runners_alembic upgrade head 2>&1); rc=$?
check "alembic: the safe batch upgrades under enforcement" "$rc"
check_eq "alembic: every revision ran" "$(echo "$out" | grep -c 'Running upgrade')" "9"
check_has "alembic: it reports the backfill" "$out" 'backfill: 6000 rows filled'
check_eq "alembic: the same schema as psql's" "$(fp audit_runners_alembic)" "$once"
out=$(alembic audit_runners_alembic downgrade base 2>&1); rc=$?
check_eq "alembic: downgrade runs every rollback" "$rc $(echo "$out" | grep -c 'Running downgrade')" "0 9"
check_eq "alembic: after downgrade the schema is where it was" "$(fp audit_runners_alembic)" "$before"
fresh audit_runners_alembic
out=$(AUDIT_BATCH=unsafe alembic audit_runners_alembic upgrade head 2>&1); rc=$?
check_eq "alembic: the unsafe draft fails" "$([ "$rc" != 0 ]; echo $?)" "0"
check_has "alembic: at the first revision" "$out" 'Running upgrade  -> 0001'
check_has "alembic: with audit's error" "$out" 'audit: adding UNIQUE constraint'
check_has "alembic: and its hint" "$out" 'HINT:  CREATE UNIQUE INDEX CONCURRENTLY first'
check_eq "alembic: nothing of it stays" "$(fp audit_runners_alembic)" "$before"

for d in "$BASE" audit_runners_psql audit_runners_sqitch audit_runners_sqitch_unsafe audit_runners_alembic; do
  "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null
done
summary runners
