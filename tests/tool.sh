#!/usr/bin/env bash
# The `audit` tool against a live server (run on every version): validate on a staging copy of
# the recipe database (proceed, and defer for each injected fault), deploy to a second database
# standing for production gated by that report (and refused for a changed file, a defer report,
# a stale report), a deploy cut off mid-batch and resumed, a lock held on production (retries,
# then the blocker with its pid; a long transaction refused before starting), rollback, --apply
# with sqitch and Alembic, TLS with sslmode=verify-full against a cluster with its own CA, a
# password from ~/.pgpass and a wrong one, a database without the extension, one without
# pg_stat_statements, an empty folder and a psql meta-command.
#   tests/tool.sh PORT            (AUDIT_TOOL_BIN=/usr/bin/audit tests an installed one)
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
use_server "$PORT"; P+=(-v ON_ERROR_STOP=1)
ROOT=$PWD
W=$ROOT/target/tool; rm -rf "$W"; mkdir -p "$W"
# AUDIT_TOOL_BIN: an installed `audit` to test (tests/package.sh); else the debug build
if [ -n "${AUDIT_TOOL_BIN:-}" ]; then AUDIT=$AUDIT_TOOL_BIN
else
  cargo build -q -p audit-cli || { echo "tool: 0 passed, 1 failed"; exit 1; }
  AUDIT=$ROOT/target/debug/audit
fi
BASE=audit_tool_base
fresh() { fresh_db "$1" "${2:-$BASE}"; }

fresh_db "$BASE"
"${P[@]}" -d "$BASE" -c "CREATE EXTENSION audit" -c "CREATE EXTENSION pg_stat_statements" -f migrations/base/schema.sql >/dev/null
"${P[@]}" -d "$BASE" -v scale=0.05 -f migrations/base/data.sql >/dev/null
"${P[@]}" -d "$BASE" -c "VACUUM ANALYZE" >/dev/null
RECIPES=$("${P[@]}" -d "$BASE" -c "SELECT max(id) FROM recipes"); USERS=$("${P[@]}" -d "$BASE" -c "SELECT max(id) FROM users")
LOAD=(--workload migrations/workload.sql -D "recipes=$RECIPES" -D "users=$USERS" --window 4s --rate 60)
# validate NAME DB DIR [ARGS...]: its exit status; output in $W/NAME.txt, reports in $W/NAME/
validate() {
  local name=$1 db=$2 dir=$3; shift 3
  "$AUDIT" validate --db "dbname=$db" --migrations "$dir" --out "$W/$name" -q "$@" > "$W/$name.txt" 2>&1
  echo $?
}
deploy() {
  local name=$1 db=$2 dir=$3 report=$4; shift 4
  "$AUDIT" deploy --db "postgresql:///$db?host=/tmp&port=$PORT" --migrations "$dir" --staging-report "$report" \
    --out "$W/$name" -q "$@" > "$W/$name.txt" 2>&1
  echo $?
}

# --- the recipe batch: staging says proceed, production deploys it
fresh audit_tool_staging; fresh audit_tool_prod
check_eq "validate: the safe batch on staging proceeds (exit 0)" \
  "$(validate clean audit_tool_staging migrations/safe "${LOAD[@]}" --test "psql -X -q -c 'SELECT count(*) FROM recipes' >/dev/null")" 0
R=$W/clean/report.json
check_eq "validate: report.json says proceed, no blockers" "$(json "$R" 'd["verdict"], len(d["blockers"])')" "proceed 0"
check_eq "validate: every file applied, with its sha256" \
  "$(json "$R" 'sum(f["outcome"] == "applied" and len(f["sha256"]) == 64 for f in d["files"])')" 9
check_has "validate: the backfill's notice is kept" "$(json "$R" '[f["notices"] for f in d["files"]][6]')" 'backfill: 15000 rows filled'
check_eq "validate: server, fingerprint and timestamps" \
  "$(json "$R" 'd["server"]["database"], d["server"]["version_num"] // 10000, len(d["fingerprint"]), d["started_at"] <= d["finished_at"]')" \
  "audit_tool_staging $PG_MAJOR 64 True"
check_eq "validate: tests ran before and after" "$(json "$R" '[(t["phase"], t["exit_code"]) for t in d["tests"]]')" "[('before', 0), ('after', 0)]"
check_eq "validate: the workload ran in both windows" "$(json "$R" 'all(w["transactions"] > 50 and w["kind"] == "workload" for w in d["windows"]), len(d["windows"])')" "True 2"
check_has "validate: a restore point" "$(json "$R" 'd["restore_point"]["lsn"]')" '^[0-9A-F]*/[0-9A-F]*$'
check_has "validate: the text report ends with the verdict" "$(grep -B1 '^(reports: ' "$W/clean.txt" | head -1; grep '^PROCEED' "$W/clean.txt")" '^PROCEED: 9 migration'
check_has "validate: report.md for the pull request" "$(head -1 "$W/clean/report.md")" '^## audit validate: \*\*proceed\*\*'
check_eq "validate: no secret in the reports" "$(grep -c 'PGPASSWORD\|password' "$W/clean/report.json")" 0

check_eq "deploy: gated by that report, to production (exit 0)" "$(deploy prod audit_tool_prod migrations/safe "$R")" 0
check_eq "deploy: recorded in audit.deployments" \
  "$("${P[@]}" -d audit_tool_prod -c "SELECT kind, outcome, restore_lsn IS NOT NULL, staging_report->>'verdict' FROM audit.deployments")" "deploy|deployed|t|proceed"
check_eq "deploy: every file in audit.applied_migrations with its sha256" \
  "$("${P[@]}" -d audit_tool_prod -c "SELECT count(*) FROM audit.applied_migrations a WHERE length(sha256) = 64")" 9
check_eq "deploy again: nothing to do, every file skipped" "$(deploy prod2 audit_tool_prod migrations/safe "$R"; json "$W/prod2/report.json" 'sum(f["outcome"] == "skipped" for f in d["files"])')" "0
9"
check_eq "rollback: the last deployment's files, newest first (exit 0)" \
  "$("$AUDIT" rollback --db "dbname=audit_tool_prod" --migrations migrations/safe --out "$W/rb" -q > "$W/rb.txt" 2>&1; echo $?)" 0
check_eq "rollback: recorded, nothing left applied" \
  "$("${P[@]}" -d audit_tool_prod -c "SELECT (SELECT outcome FROM audit.deployments WHERE kind = 'rollback'), (SELECT count(*) FROM audit.applied_migrations)")" "rolled back|0"
check_eq "rollback: in reverse order" "$(json "$W/rb/report.json" '",".join(f["name"][:4] for f in d["files"])')" "0009,0008,0007,0006,0005,0004,0003,0002,0001"
check_eq "rollback: the schema is back (no category_id)" \
  "$("${P[@]}" -d audit_tool_prod -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'recipes'::regclass AND attname = 'category_id' AND NOT attisdropped")" 0

check_eq "deploy: to the very database staging validated is refused (exit 1)" "$(deploy same audit_tool_staging migrations/safe "$R")" 1
check_has "deploy: it says so" "$(json "$W/same/report.json" '"; ".join(d["blockers"])')" 'is the database the staging report was made on'

# --- the gate
cp -r migrations/safe "$W/changed"; echo "-- edited after validation" >> "$W/changed/0004_checks.sql"; cp "$W/changed/0004_checks.sql" "$W/changed/0010_extra.sql"
check_eq "deploy: a file changed after validation is refused (exit 1)" "$(deploy changed audit_tool_prod "$W/changed" "$R")" 1
check_has "deploy: the refusal names the changed and the added file" "$(json "$W/changed/report.json" '"; ".join(d["blockers"])')" '0004_checks.sql was changed, 0010_extra.sql was added'
python3 -c "import json; d=json.load(open('$R')); d['finished_at']='2026-01-01T00:00:00Z'; json.dump(d, open('$W/stale.json','w'))"
check_eq "deploy: a stale report is refused (exit 1)" "$(deploy stale audit_tool_prod migrations/safe "$W/stale.json")" 1
check_has "deploy: it says how old" "$(json "$W/stale/report.json" 'd["blockers"][0]')" 'old, more than --max-report-age 7days'
check_eq "deploy: nothing was touched by the refusals (two deploys and the rollback)" "$("${P[@]}" -d audit_tool_prod -c "SELECT count(*) FROM audit.deployments")" 3
echo "not json" > "$W/bad.json"
out=$(deploy badjson audit_tool_prod migrations/safe "$W/bad.json"; cat "$W/badjson.txt")
check_eq "deploy: a report that is not JSON: one line, exit 2" "$(one_line "$(echo "$out" | head -1)" "$(echo "$out" | tail -n +2)")" 0

# --- injected faults: each turns the verdict to defer and is named
mkdir -p "$W/f-lint" && cp migrations/unsafe/0006_indexes.sql "$W/f-lint/"
fresh audit_tool_f
check_eq "fault lint: an unsafe file defers before anything is applied (exit 1)" "$(validate f-lint audit_tool_f "$W/f-lint")" 1
check_has "fault lint: the error finding is the blocker" "$(json "$W/f-lint/report.json" 'd["blockers"][0]')" '^lint: 0006_indexes.sql:[0-9]*: require-concurrent-index'
check_eq "fault lint: nothing applied, every file listed as not run" \
  "$(json "$W/f-lint/report.json" '[(f["name"], f["outcome"]) for f in d["files"]]')" "[('0006_indexes.sql', 'not run')]"
check_eq "deploy: a defer report is refused (exit 1)" "$(deploy defer audit_tool_prod "$W/f-lint" "$W/f-lint/report.json")" 1
check_has "deploy: it names the verdict" "$(json "$W/defer/report.json" 'd["blockers"][0]')" "verdict is defer (lint: 0006"
cp -r migrations/safe "$W/f-invalid"; rm "$W/f-invalid/0003_validate_foreign_keys.sql"
fresh audit_tool_f
check_eq "fault invalid-constraint: defer" "$(validate f-invalid audit_tool_f "$W/f-invalid")" 1
check_has "fault invalid-constraint: named" "$(json "$W/f-invalid/report.json" '"\n".join(d["blockers"])')" '^constraints validated: public.recipes.recipes_author_fk'
cp -r migrations/safe "$W/f-lost"; echo "DELETE FROM recipe_ingredients WHERE recipe_id % 97 = 0;" > "$W/f-lost/0010_fault.sql"
fresh audit_tool_f
check_eq "fault lost-rows: defer" "$(validate f-lost audit_tool_f "$W/f-lost")" 1
check_has "fault lost-rows: named" "$(json "$W/f-lost/report.json" '"\n".join(d["blockers"])')" '^row count loss: public.recipe_ingredients'
cp -r migrations/safe "$W/f-index"; echo "DROP INDEX CONCURRENTLY recipes_category_idx;" > "$W/f-index/0010_fault.sql"
fresh audit_tool_f
check_eq "fault drop-index: defer" "$(validate f-index audit_tool_f "$W/f-index" "${LOAD[@]}")" 1
check_has "fault drop-index: the category page's query regressed" "$(json "$W/f-index/report.json" '"\n".join(d["blockers"])')" '^query regression: .*FROM recipes WHERE category = '
check_eq "fault drop-index: the regression measured on a second after window, slow there too" \
  "$(json "$W/f-index/report.json" '[w["phase"] for w in d["windows"]], [r["after_again"] > r["before"] for r in d["performance"] if r["status"] == "regression" and "WHERE category" in r["object"]]')" \
  "['before', 'after', 'after, again'] [True]"
# on a failure, what each window measured (tests/package.sh shows these lines too)
[ "$(json "$W/f-index/report.json" 'd["verdict"]')" = defer ] || echo "  detail: drop-index: $(json "$W/f-index/report.json" \
  '[(w["phase"], w["transactions"], w["errors"]) for w in d["windows"]], [(r["object"][:40], r["before"], r["after"], r.get("after_again"), r["status"]) for r in d["performance"]], d["not_checked"]')"
# a unique index built concurrently over duplicates fails and leaves an INVALID index: named with its DROP
mkdir -p "$W/f-dup" && echo "CREATE UNIQUE INDEX CONCURRENTLY ratings_recipe_uq ON ratings (recipe_id);" > "$W/f-dup/0001_uq.sql"
fresh audit_tool_f
check_eq "failed CREATE UNIQUE INDEX CONCURRENTLY: defer" "$(validate f-dup audit_tool_f "$W/f-dup")" 1
check_has "failed CREATE UNIQUE INDEX CONCURRENTLY: the INVALID index named with its DROP" \
  "$(json "$W/f-dup/report.json" '"\n".join(d["blockers"])')" 'left an INVALID index.*DROP INDEX CONCURRENTLY IF EXISTS public.ratings_recipe_uq;'
check_eq "failed CREATE UNIQUE INDEX CONCURRENTLY: the index is there, INVALID, and the DROP takes it out" \
  "$("${P[@]}" -d audit_tool_f -c "SELECT count(*) FROM pg_index WHERE NOT indisvalid AND indexrelid = 'ratings_recipe_uq'::regclass" \
     -c "$(json "$W/f-dup/report.json" 'd["files"][0]["error"]["invalid_index"]')" -c "SELECT to_regclass('ratings_recipe_uq') IS NULL")" "1
t"
check_has "failed CREATE UNIQUE INDEX CONCURRENTLY: the text shows the DROP too" "$(cat "$W/f-dup.txt")" 'left an INVALID index: DROP INDEX CONCURRENTLY'
# a query slowed for a moment in the first after window only (the rows its foreign key checks locked for 1.5 s): transient
fresh audit_tool_f
"$AUDIT" validate --db "dbname=audit_tool_f" --migrations migrations/safe --out "$W/f-blip" "${LOAD[@]}" > "$W/f-blip.txt" 2> "$W/f-blip.err" &
vpid=$!
for _ in $(seq 600); do grep -q 'performance window after' "$W/f-blip.err" 2>/dev/null && break; sleep 0.1; done
psql -X -q -d audit_tool_f -c "BEGIN" -c "SELECT count(*) FROM (SELECT 1 FROM recipes FOR UPDATE) r" -c "SELECT pg_sleep(1.5)" -c "COMMIT" >/dev/null 2>&1
wait "$vpid"; rc=$?
check_eq "transient slowness: proceeds (exit 0)" "$rc" 0
check_eq "transient slowness: the rating's INSERT (its foreign key check waited) is transient, measured on three windows" \
  "$(json "$W/f-blip/report.json" 'sorted({r["status"] for r in d["performance"] if "INSERT INTO ratings" in r["object"]}), len(d["windows"]), d["blockers"]')" \
  "['transient'] 3 []"
check_has "transient slowness: the text shows the second window" "$(cat "$W/f-blip.txt")" 'after, again'
# a session takes a lock the workload queues behind once the after window starts
fresh audit_tool_f
"$AUDIT" validate --db "dbname=audit_tool_f" --migrations migrations/safe --out "$W/f-held" "${LOAD[@]}" > "$W/f-held.txt" 2> "$W/f-held.err" &
vpid=$!
for _ in $(seq 600); do grep -q 'performance window after' "$W/f-held.err" 2>/dev/null && break; sleep 0.1; done
PGAPPNAME=audit-test-holder psql -X -q -d audit_tool_f -c "BEGIN" -c "LOCK TABLE ratings IN SHARE MODE" -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
wait "$vpid"; rc=$?
check_eq "fault lock-held: defer (and the workload's waiting clients did not hang it)" "$rc" 1
check_has "fault lock-held: the waiter and its blocker named" "$(json "$W/f-held/report.json" '"\n".join(d["blockers"])')" \
  '^no lock waiters: pid [0-9]* (waiting .* for RowExclusiveLock on public.ratings, blocked by pid [0-9]*'
"${P[@]}" -d postgres -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'audit-test-holder'" >/dev/null
# a long transaction holding a lock the batch needs: retries, then the blocker with its pid
fresh audit_tool_f
PGAPPNAME=audit-test-holder psql -X -q -d audit_tool_f -c "BEGIN" -c "SELECT count(*) FROM recipes" -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
sleep 1
check_eq "fault long-transaction: defer" "$(validate f-long audit_tool_f migrations/safe --lock-timeout 200ms --attempts 3 --backoff 100ms)" 1
check_has "fault long-transaction: retried, then named the holder" "$(json "$W/f-long/report.json" 'd["files"][0]["retries"], d["blockers"][0]')" \
  "^2 migration failed: 0001_unique_constraints.sql (line 8): canceling statement due to lock timeout; blocked by pid [0-9]* (postgres, audit-test-holder"
"${P[@]}" -d postgres -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'audit-test-holder'" >/dev/null

# --- production: a lock held there, and a deploy cut off mid-batch then resumed
B=$W/small; mkdir -p "$B"
echo "CREATE TABLE IF NOT EXISTS t1 (id bigint PRIMARY KEY);" > "$B/001_t1.sql"
printf 'SET lock_timeout = %s;\nSELECT pg_sleep(3);\nCREATE TABLE IF NOT EXISTS t2 (id bigint PRIMARY KEY);\n' "'1s'" > "$B/002_slow.sql"
echo "ALTER TABLE recipes ADD COLUMN IF NOT EXISTS note text;" > "$B/003_note.sql"
B0=$W/tiny; mkdir -p "$B0"; cp "$B/001_t1.sql" "$B0/"
fresh audit_tool_s
check_eq "small batch: proceeds without a window" "$(validate small audit_tool_s "$B")" 0
check_has "small batch: performance named as not checked" "$(json "$W/small/report.json" '"; ".join(d["not_checked"])')" 'query performance: no --window'
check_eq "small batch: no performance table without a window" "$(json "$W/small/report.json" 'len(d["performance"])')" 0
check_eq "--window with --skip-performance: proceeds, says the window was not used" \
  "$(fresh audit_tool_s; validate skipw audit_tool_s "$B" --window 2s --skip-performance; json "$W/skipw/report.json" 'len(d["windows"]), len(d["performance"]), d["not_checked"][0]')" "0
0 0 query performance: not compared (--skip-performance), so the --window of 2s was not used"
fresh audit_tool_p
deploy cut audit_tool_p "$B" "$W/small/report.json" > "$W/cut.rc" &
sleep 1.5
"${P[@]}" -d postgres -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = 'audit_tool_p' AND query LIKE '%pg_sleep%' AND pid <> pg_backend_pid()" >/dev/null
wait
check_eq "deploy cut off mid-batch: exit 1" "$(cat "$W/cut.rc")" 1
check_eq "deploy cut off: the record says failed, 001 applied, 002 failed" \
  "$("${P[@]}" -d audit_tool_p -c "SELECT d.outcome, string_agg(f.file || ':' || f.outcome, ',' ORDER BY f.file) FROM audit.deployments d JOIN audit.deployment_files f ON f.deployment_id = d.id GROUP BY d.outcome")" \
  "failed|001_t1.sql:applied,002_slow.sql:failed"
check_eq "deploy again: resumes (001 skipped, 002 and 003 applied)" \
  "$(deploy resume audit_tool_p "$B" "$W/small/report.json"; json "$W/resume/report.json" '",".join(f["outcome"] for f in d["files"])')" "0
skipped,applied,applied"
# a file applied on production, then changed and validated again: the deploy refuses it
B2=$W/small2; cp -r "$B" "$B2"; echo "-- reworded" >> "$B2/001_t1.sql"
fresh audit_tool_s
check_eq "small batch, 001 changed: staging proceeds" "$(validate small2 audit_tool_s "$B2")" 0
check_eq "deploy: a file changed since it was applied is refused (exit 1)" "$(deploy changed-applied audit_tool_p "$B2" "$W/small2/report.json")" 1
check_has "deploy: it names the file and both checksums" "$(json "$W/changed-applied/report.json" 'd["blockers"][0]')" \
  '^001_t1.sql was applied with sha256 [0-9a-f]\{12\} and has changed since (now [0-9a-f]\{12\}): a migration already applied must not change'
fresh audit_tool_p
PGAPPNAME=audit-test-holder psql -X -q -d audit_tool_p -c "BEGIN" -c "LOCK TABLE recipes IN ACCESS SHARE MODE" -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
sleep 2
check_eq "deploy: a transaction older than --max-xact-age on the batch's tables refuses (exit 1)" \
  "$(deploy held audit_tool_p "$B" "$W/small/report.json" --max-xact-age 1s)" 1
check_has "deploy: it names the session" "$(json "$W/held/report.json" '"\n".join(d["blockers"])')" '^long transaction: pid [0-9]* (postgres, [a-z ]*) has held AccessShareLock on recipes in a transaction open'
check_eq "deploy: with a longer --max-xact-age it starts, retries the lock, then fails (exit 1)" \
  "$(deploy held2 audit_tool_p "$B" "$W/small/report.json" --lock-timeout 200ms --attempts 3 --backoff 100ms)" 1
check_has "deploy: the blocker has the holder's pid" "$(json "$W/held2/report.json" '"\n".join(d["blockers"])')" \
  '^migration failed: 003_note.sql (line 1): canceling statement due to lock timeout; blocked by pid [0-9]* (postgres, audit-test-holder, [a-z ]*, transaction open [0-9:]*, AccessShareLock on recipes)'
check_eq "deploy: it retried twice" "$(json "$W/held2/report.json" 'd["files"][2]["retries"]')" 2
"${P[@]}" -d postgres -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'audit-test-holder'" >/dev/null
# a session waiting on another's lock on production: the deploy does not start
PGAPPNAME=audit-test-holder psql -X -q -d audit_tool_p -c "BEGIN" -c "LOCK TABLE ratings IN SHARE MODE" -c "SELECT pg_sleep(120)" >/dev/null 2>&1 &
sleep 1
PGAPPNAME=audit-test-holder psql -X -q -d audit_tool_p -c "INSERT INTO ratings (recipe_id, user_id, score) VALUES (1, 1, 5)" >/dev/null 2>&1 &
sleep 1
check_eq "deploy: a lock waiter on production refuses (exit 1)" "$(deploy waiter audit_tool_p "$B" "$W/small/report.json" --max-xact-age 1h)" 1
check_has "deploy: it names the waiter and the blocking pid" "$(json "$W/waiter/report.json" '"\n".join(d["blockers"])')" \
  '^lock waiter: pid [0-9]* (postgres) waiting [0-9.]* s for RowExclusiveLock on public.ratings, blocked by pid [0-9]*'
"${P[@]}" -d postgres -c "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = 'audit-test-holder'" >/dev/null

# --- --apply with the team's own runner
fresh audit_tool_f
SQ="env SQITCH_FULLNAME=audit SQITCH_EMAIL=audit@example.com sqitch --chdir $ROOT/migrations/runners/sqitch deploy db:pg:"
check_eq "--apply sqitch: proceeds" "$(validate sqitch audit_tool_f migrations/safe --apply "$SQ")" 0
check_eq "--apply sqitch: the runner ran, the files were linted" "$(json "$W/sqitch/report.json" 'd["apply_run"]["exit_code"], len(d["lint"]), len(d["files"])')" "0 9 0"
fresh audit_tool_f
AL="AUDIT_DATABASE_URL=\"postgresql+psycopg2://\$PGUSER@/\$PGDATABASE?host=\$PGHOST&port=\$PGPORT\" $AUDIT_RUNNERS/bin/alembic -c $ROOT/migrations/runners/alembic/alembic.ini upgrade head"
check_eq "--apply alembic: proceeds" "$("$AUDIT" validate --db "dbname=audit_tool_f" --apply "$AL" --out "$W/alembic" -q > "$W/alembic.txt" 2>&1; echo $?)" 0
check_has "--apply alembic: its output is kept" "$(json "$W/alembic/report.json" 'd["apply_run"]["output_tail"]')" 'Running upgrade 0008 -> 0009'
check_eq "--apply: deploy refuses a runner's report for files" "$(deploy runner audit_tool_p migrations/safe "$W/sqitch/report.json")" 1

# --- bad input: one line, exit 2
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS audit_tool_bare" -c "CREATE DATABASE audit_tool_bare" >/dev/null
out=$("$AUDIT" validate --db dbname=audit_tool_bare --migrations "$B0" --out "$W/bare" -q 2>&1); rc=$?
check_has "no extension: validate runs from the tool's own schema (tests/managed.sh)" "$out" 'schema audit_client'
"${P[@]}" -d audit_tool_bare -c "CREATE EXTENSION audit" >/dev/null
check_eq "no pg_stat_statements: defer" "$(validate nopgss audit_tool_bare "$B0")" 1
check_has "no pg_stat_statements: named" "$(json "$W/nopgss/report.json" 'd["blockers"][0]')" 'pg_stat_statements is not installed'
check_eq "no pg_stat_statements, --skip-performance: proceeds, says so" \
  "$(validate nopgss2 audit_tool_bare "$B0" --skip-performance; json "$W/nopgss2/report.json" 'd["not_checked"][0]')" "0
query performance: not compared (--skip-performance)"
mkdir -p "$W/empty"
out=$("$AUDIT" validate --db dbname=audit_tool_bare --migrations "$W/empty" 2>&1); rc=$?
check_eq "empty folder: one line, exit 2" "$(one_line "$rc" "$out")" 0
out=$("$AUDIT" validate --db dbname=audit_tool_bare --migrations "$W/none" 2>&1); rc=$?
check_eq "missing folder: one line, exit 2" "$(one_line "$rc" "$out")" 0
out=$("$AUDIT" validate --db "postgresql://postgres@/x?host=/tmp&port=1" --migrations "$B0" 2>&1); rc=$?
check_eq "no server there: one line, exit 2" "$(one_line "$rc" "$out")" 0
out=$("$AUDIT" validate --db "postgresql://h/db?sslmode=sometimes" --migrations "$B0" 2>&1); rc=$?
check_has "bad sslmode: one line, exit 2" "$(one_line "$rc" "$out") $out" '^0 audit: invalid sslmode "sometimes"'
out=$("$AUDIT" validate --migrations "$B" --threshold lots 2>&1); rc=$?
check_eq "bad option value: one line, exit 2" "$(one_line "$rc" "$out")" 0
out=$("$AUDIT" deploy --db x 2>&1); rc=$?
check_has "missing arguments: one line naming them, exit 2" "$(one_line "$rc" "$out") $out" '^0 audit: the following required arguments were not provided: --staging-report <FILE>; see audit --help$' 
mkdir -p "$W/meta"; printf 'CREATE TABLE m1 (id int);\n\\set x 1\nSELECT 1;\n' > "$W/meta/001_meta.sql"
fresh audit_tool_f
validate meta audit_tool_f "$W/meta" >/dev/null
check_has "a psql meta-command: a blocker naming its line" "$(json "$W/meta/report.json" '"\n".join(d["blockers"])')" 'line 2'

# --- TLS: sslmode=verify-full against a cluster with its own CA, a password from ~/.pgpass
T=$W/tls; mkdir -p "$T"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=audit test CA" -keyout "$T/ca.key" -out "$T/ca.crt" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" >/dev/null 2>&1
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$T/server.key" -out "$T/server.csr" >/dev/null 2>&1
printf 'subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$T/ext.cnf"
openssl x509 -req -in "$T/server.csr" -CA "$T/ca.crt" -CAkey "$T/ca.key" -CAcreateserial -days 2 -extfile "$T/ext.cnf" -out "$T/server.crt" >/dev/null 2>&1
chmod 600 "$T/server.key"; [ "$(id -u)" = 0 ] && chown postgres "$T/server.key" "$T/server.crt" && chmod a+rx "$W" "$T" && chmod a+r "$T/server.crt"
TPORT=$((PORT + 7)); TDATA=/tmp/audit-tool-tls/data
mkdir -p "$(dirname "$TDATA")"; [ "$(id -u)" = 0 ] && chown postgres "$(dirname "$TDATA")"
AUDIT_PRELOAD=pg_stat_statements,audit scripts/cluster.sh start "$TDATA" "$TPORT" "listen_addresses = '127.0.0.1'" "ssl = on" \
  "ssl_cert_file = '$T/server.crt'" "ssl_key_file = '$T/server.key'" "log_connections = on"
printf 'local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n' | as_pg tee "$TDATA/pg_hba.conf" >/dev/null
pg_ctl_as_pg -D "$TDATA" reload >/dev/null
sleep 1
"${P[@]}" -p "$TPORT" -d postgres -c "CREATE ROLE deployer LOGIN SUPERUSER PASSWORD 'pa:ss w0rd'" -c "CREATE DATABASE tlsdb" >/dev/null
"${P[@]}" -p "$TPORT" -d tlsdb -c "CREATE EXTENSION audit" -c "CREATE EXTENSION pg_stat_statements" >/dev/null
H=$T/home; mkdir -p "$H"; printf 'localhost:%s:*:deployer:pa\\:ss w0rd\n' "$TPORT" > "$H/.pgpass"; chmod 600 "$H/.pgpass"
URL="postgresql://deployer@localhost:$TPORT/tlsdb?sslmode=verify-full&sslrootcert=$T/ca.crt"
check_eq "TLS verify-full with the CA, password from ~/.pgpass: proceeds" \
  "$(HOME=$H "$AUDIT" validate --db "$URL" --migrations "$B0" --out "$W/tlsrun" -q > "$W/tlsrun.txt" 2>&1; echo $?)" 0
check_has "TLS: the sessions were encrypted" "$(grep 'connection authorized: user=deployer database=tlsdb' "$TDATA/server.log" | grep -v 'SSL enabled' | wc -l) $(grep -c 'user=deployer database=tlsdb.*SSL enabled' "$TDATA/server.log")" '^0 [1-9]' 
out=$(HOME=$H "$AUDIT" validate --db "postgresql://deployer@127.0.0.1:$TPORT/tlsdb?sslmode=verify-full&sslrootcert=$T/ca.crt" --migrations "$B0" 2>&1); rc=$?
check_eq "TLS verify-full: a host name the certificate does not name is refused (one line, exit 2)" "$(one_line "$rc" "$out")" 0
check_eq "TLS verify-ca: the same host is accepted (chain only)" \
  "$(HOME=$H PGPASSWORD='pa:ss w0rd' "$AUDIT" rollback --db "postgresql://deployer@127.0.0.1:$TPORT/tlsdb?sslmode=verify-ca&sslrootcert=$T/ca.crt" --migrations "$B0" 2>&1 | grep -c 'nothing to roll back')" 1
out=$("$AUDIT" validate --db "postgresql://deployer:wrong@localhost:$TPORT/tlsdb?sslmode=require" --migrations "$B0" 2>&1); rc=$?
check_eq "a wrong password: one line, exit 2" "$(one_line "$rc" "$out")" 0
check_has "a wrong password: says so, without the password" "$out" 'password authentication failed for user "deployer"; check the user and password'
check_eq "a wrong password: not echoed" "$(echo "$out" | grep -c wrong)" 0
scripts/cluster.sh stop "$TDATA"

for d in $BASE audit_tool_staging audit_tool_prod audit_tool_f audit_tool_s audit_tool_p audit_tool_bare; do
  "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1
done
summary tool
