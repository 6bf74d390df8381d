#!/usr/bin/env bash
# audit.trace() against a live server, on scripts whose locks and rewrites PostgreSQL's manual
# states: a type change to bigint rewrites under ACCESS EXCLUSIVE, widening varchar does not,
# a NOT VALID foreign key takes SHARE ROW EXCLUSIVE on both tables and reads neither, SET NOT
# NULL reads the table, a lock taken early is held through a slow UPDATE (hold time = the
# durations of the statements to COMMIT), COMMIT ends the hold, ROLLBACK undoes its part,
# CONCURRENTLY runs as a stand-in, VACUUM is not run, a failure stops the trace with its
# SQLSTATE, a lock it cannot get names the blocker, a lock already held names the statement
# that took it, statement_timeout is honoured, a role
# outside audit_admin is refused as always, and the database is unchanged afterwards.
#   tests/trace.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
use_server "$PORT"
DB=audit_trace
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP ROLE IF EXISTS audit_tracer" \
  -c "CREATE DATABASE $DB" -c "CREATE ROLE audit_tracer LOGIN" >/dev/null
"${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 -v recipes=200000 -c "CREATE EXTENSION audit" \
  -f tests/trace_fixture.sql >/dev/null
"${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE INDEX CONCURRENTLY item_a_old ON item (a);
ALTER TABLE item OWNER TO audit_tracer;
GRANT USAGE ON SCHEMA public TO audit_tracer;
SQL
"${P[@]}" -d "$DB" -c "VACUUM ANALYZE" >/dev/null
q() { "${P[@]}" -d "$DB" -c "$1" 2>&1; }
sqlstate() { "${P[@]}" -d "$DB" -c "\\set VERBOSITY sqlstate" -c "$1" 2>&1 | grep -m1 -oE 'ERROR: +[0-9A-Z]{5}' | awk '{print $2}'; }
fingerprint() {
  # (\restrict lines carry a random key per run)
  "$PG_BIN/pg_dump" -h /tmp -p "$PORT" -U postgres --schema-only "$DB" | grep -vE '^(--|\\(un)?restrict )'
  "${P[@]}" -d "$DB" -c "SELECT count(*), sum(hashtext(r::text)) FROM recipe r" \
    -c "SELECT count(*), sum(hashtext(c::text)) FROM category c" -c "SELECT count(*) FROM item"
}
before=$(fingerprint)
check_has "the fingerprint holds the schema" "$before" 'CREATE TABLE public.recipe'
log_before=$(q "SELECT count(*) FROM audit.ddl_log")

# 1. a type change to bigint rewrites under ACCESS EXCLUSIVE; widening varchar does not
out=$(q "SELECT statement, outcome, rewritten, array_to_string(locks, ','), trigger FROM audit.trace(\$\$
ALTER TABLE recipe ALTER COLUMN id TYPE bigint;
\$\$)")
check_has "int to bigint: rewritten" "$out" '^1|ran|{"public.recipe (200000 rows)"}'
check_has "int to bigint: ACCESS EXCLUSIVE on recipe" "$out" 'AccessExclusiveLock on public.recipe'
check_has "int to bigint: the trigger would block it" "$out" '|block$'
out=$(q "SELECT rule || ':' || measured FROM audit.trace_findings('ALTER TABLE recipe ALTER COLUMN id TYPE bigint')")
check_has "int to bigint: measured rewrites-table beside the static column-type-change" "$(echo $out)" 'column-type-change:false.*rewrites-table:true'
out=$(q "SELECT outcome, rewritten, locks FROM audit.trace('ALTER TABLE recipe ALTER COLUMN title TYPE varchar(500)')")
check_eq "widening varchar: not rewritten" "$out" 'ran|{}|{"AccessExclusiveLock on public.recipe"}'
check_eq "widening varchar: no rewrites-table" "$(q "SELECT count(*) FROM audit.trace_findings('ALTER TABLE recipe ALTER COLUMN title TYPE varchar(500)') WHERE rule = 'rewrites-table'")" "0"

# 1b. a lock the transaction already holds is named, with the statement that took it
out=$(q "SELECT statement || ':' || array_to_string(locks, ',') FROM audit.trace(\$\$BEGIN;
ALTER TABLE item ADD COLUMN b int;
ALTER TABLE item ALTER COLUMN a TYPE bigint;
COMMIT;\$\$) WHERE statement = 3")
check_has "a type change after another ALTER of the table: its ACCESS EXCLUSIVE, held since statement 2" "$out" 'AccessExclusiveLock on public.item, held since statement 2'

# 2. a NOT VALID foreign key: SHARE ROW EXCLUSIVE on both tables, neither read
out=$(q "SELECT locks, scanned FROM audit.trace('ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID')")
check_has "NOT VALID foreign key: SHARE ROW EXCLUSIVE on recipe" "$out" 'ShareRowExclusiveLock on public.recipe'
check_has "NOT VALID foreign key: SHARE ROW EXCLUSIVE on category" "$out" 'ShareRowExclusiveLock on public.category'
check_has "NOT VALID foreign key: no table read" "$out" '|{}$'
out=$(q "SELECT statement, scanned FROM audit.trace(\$\$
ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id);
\$\$)")
check_has "foreign key without NOT VALID: recipe read" "$out" 'public.recipe (200000 rows, 1 scan)'

# 3. SET NOT NULL reads the table under ACCESS EXCLUSIVE
out=$(q "SELECT locks, scanned FROM audit.trace('ALTER TABLE recipe ALTER COLUMN category_id SET NOT NULL')")
check_has "SET NOT NULL: recipe read" "$out" 'public.recipe (200000 rows, 1 scan)'
check_has "SET NOT NULL: under ACCESS EXCLUSIVE" "$out" 'AccessExclusiveLock on public.recipe'
check_has "SET NOT NULL: scan-under-lock" "$(q "SELECT rule FROM audit.trace_findings('ALTER TABLE recipe ALTER COLUMN category_id SET NOT NULL') WHERE measured")" 'scan-under-lock'

# 4. a lock taken early is held through the slow statements after it, to COMMIT
script="BEGIN;
ALTER TABLE recipe ADD COLUMN notes text;
UPDATE recipe SET servings = 2 WHERE id > 0;
SELECT pg_sleep(0.4);
COMMIT;
SELECT pg_sleep(0.3);"
j=$(q "SELECT audit.trace_json(\$\$$script\$\$, hold_threshold => '100ms')")
held=$(echo "$j" | python3 -c '
import json, sys
d = json.load(sys.stdin)
s = {x["statement"]: x for x in d["statements"]}
lock = [l for l in s[2]["locks"] if l["mode"] == "AccessExclusiveLock" and l["relation"] == "public.recipe"][0]
total = sum(s[k]["duration_ms"] for k in (2, 3, 4))
print(lock["released_after"], abs(lock["held_ms"] - total) < 0.01, lock["held_ms"] >= 400, s[3]["rows"], s[6]["xact"] != s[2]["xact"], lock["held_ms"] < total + s[6]["duration_ms"] - 250)
')
check_eq "ACCESS EXCLUSIVE of statement 2 held to statement 4 (COMMIT), as long as statements 2-4 took, not into 6" "$held" "4 True True 200000 True True"
check_has "held through the UPDATE: long-exclusive-lock" "$(q "SELECT message FROM audit.trace_findings(\$\$$script\$\$, hold_threshold => '100ms') WHERE rule = 'long-exclusive-lock'")" 'from statement 2 through statement 4'
check_eq "below hold_threshold: no long-exclusive-lock" "$(q "SELECT count(*) FROM audit.trace_findings(\$\$$script\$\$, hold_threshold => '10s') WHERE rule = 'long-exclusive-lock'")" "0"
check_has "the held column says so" "$(q "SELECT held FROM audit.trace(\$\$$script\$\$) WHERE statement = 2")" 'AccessExclusiveLock on public.recipe for .* s, to statement 4'
check_eq "autocommit: each statement its own transaction" "$(q "SELECT string_agg(xact::text, ',' ORDER BY statement) FROM audit.trace('ALTER TABLE recipe ADD COLUMN a int; SELECT 1; SELECT 2', autocommit => true)")" "1,2,3"
check_eq "without BEGIN or autocommit: one transaction" "$(q "SELECT string_agg(xact::text, ',' ORDER BY statement) FROM audit.trace('ALTER TABLE recipe ADD COLUMN a int; SELECT 1; SELECT 2')")" "1,1,1"

# 5. transaction control: ROLLBACK undoes its own part only; CONCURRENTLY stands in; VACUUM is not run
out=$(q "SELECT statement || ':' || outcome FROM audit.trace(\$\$
BEGIN; CREATE TABLE t1 (a int); ROLLBACK;
CREATE TABLE t1 (a int);
\$\$)")
check_eq "ROLLBACK in the script undoes its transaction" "$(echo $out)" "1:transaction control 2:ran 3:transaction control 4:ran"
out=$(q "SELECT statement || ':' || outcome || ':' || array_to_string(locks, ',') || ':' || trigger FROM audit.trace(\$\$
CREATE UNIQUE INDEX CONCURRENTLY recipe_id_title ON recipe (id, title);
ALTER TABLE recipe ADD CONSTRAINT recipe_id_title_key UNIQUE USING INDEX recipe_id_title;
VACUUM recipe;
\$\$, autocommit => true)")
check_has "CREATE INDEX CONCURRENTLY: stand-in with the real statement's lock" "$out" '^1:stand-in:ShareUpdateExclusiveLock on public.recipe:pass$'
check_has "the statement after it finds its index" "$out" '^2:ran:'
check_has "VACUUM: not run" "$out" '^3:not run::pass$'
out=$(q "SELECT outcome || ':' || array_to_string(locks, ',') FROM audit.trace(\$\$
SET lock_timeout = '1s';
DROP INDEX CONCURRENTLY item_a_old;
\$\$, autocommit => true) WHERE statement = 2")
check_eq "DROP INDEX CONCURRENTLY: stand-in with the real statement's lock on the index's table" "$out" 'stand-in:ShareUpdateExclusiveLock on public.item'
out=$(q "SELECT statement || ':' || outcome || ':' || coalesce(sqlstate, '') FROM audit.trace(\$\$
SELECT audit.assert_not_in_transaction();
CREATE INDEX CONCURRENTLY recipe_servings_idx ON recipe (servings);
BEGIN;
SELECT audit.assert_not_in_transaction();
\$\$)")
check_eq "assert_not_in_transaction() answers for the script's own plan" "$(echo $out)" "1:ran: 2:stand-in: 3:transaction control: 4:error:25001"
check_has "a DO block that commits: stopped, and the note says why" \
  "$(q "SELECT outcome || ':' || sqlstate || ':' || note FROM audit.trace('DO \$\$ BEGIN COMMIT; END \$\$')")" '^error:2D000:a statement that commits'

# 6. a failing statement stops the trace with its SQLSTATE
out=$(q "SELECT statement || ':' || outcome || ':' || coalesce(sqlstate, '') FROM audit.trace('ALTER TABLE recipe ADD COLUMN z int; SELECT 1/0; ALTER TABLE recipe ADD COLUMN y int')")
check_eq "error: reported, later statements not reached" "$(echo $out)" "1:ran: 2:error:22012 3:not reached:"
check_eq "statement_timeout is honoured" "$("${P[@]}" -d "$DB" -c "SET statement_timeout = '300ms'" -c "SELECT outcome || ':' || sqlstate FROM audit.trace('SELECT pg_sleep(3)')" | tail -1)" "error:57014"

# 7. a lock it cannot get: lock-not-available naming the blocker
"${P[@]}" -d "$DB" -c "BEGIN; SELECT count(*) FROM category; SELECT pg_sleep(4); COMMIT;" >/dev/null 2>&1 &
for _ in $(seq 50); do
  [ "$(q "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'category' AND l.pid <> pg_backend_pid()")" -gt 0 ] && break
  sleep 0.1
done
out=$(q "SELECT outcome, sqlstate FROM audit.trace('ALTER TABLE category ADD COLUMN x int', lock_timeout => '200ms')")
check_eq "blocked: lock timeout, 55P03" "$out" "lock timeout|55P03"
check_has "lock-not-available names the blocker" "$(q "SELECT message FROM audit.trace_findings('ALTER TABLE category ADD COLUMN x int', lock_timeout => '200ms') WHERE rule = 'lock-not-available'")" 'pg_sleep'
wait

# 8. who may: a role outside audit_admin is refused as always, and nothing is recorded
out=$("${P[@]}" -d "$DB" -U audit_tracer -c "SELECT outcome || ':' || coalesce(sqlstate, '') || ':' || trigger FROM audit.trace('CREATE INDEX ON item (a)')" 2>&1)
check_eq "outside audit_admin: the trigger refuses the trace's statement" "$out" "error:42501:block"
check_eq "outside audit_admin: not bypassed" "$("${P[@]}" -d "$DB" -U audit_tracer -c "SELECT audit.trace_json('SELECT 1')->'summary'->>'triggers_bypassed'")" "false"
log_now=$(q "SELECT count(*) FROM audit.ddl_log WHERE action = 'trace' AND rule = 'require-concurrent-index'")
out=$(q "SELECT outcome || ':' || trigger FROM audit.trace('CREATE INDEX ON item (a)')")
check_eq "superuser: runs it (rolled back), with the verdict" "$out" "ran:block"
check_eq "superuser: the trace is recorded in audit.ddl_log" "$(q "SELECT count(*) - $log_now FROM audit.ddl_log WHERE action = 'trace' AND rule = 'require-concurrent-index'")" "1"
check_eq "after a trace the trigger refuses again" "$(sqlstate "CREATE INDEX ON recipe (title)")" "42501"

# 9. suppressions, settings, bad input
out=$(q "SELECT rule || ':' || coalesce(ignored, '-') FROM audit.trace_findings(\$\$
-- audit:ignore rewrites-table planned downtime
ALTER TABLE recipe ALTER COLUMN id TYPE bigint;
\$\$) WHERE rule IN ('rewrites-table', 'unused-suppression')")
check_eq "an audit:ignore comment silences a measured rule (and is not unused)" "$out" "rewrites-table:planned downtime"
check_eq "rule_levels switch a measured rule off" "$(q "SELECT count(*) FROM audit.trace_findings('ALTER TABLE recipe ALTER COLUMN id TYPE bigint', rule_levels => 'rewrites-table=off') WHERE rule = 'rewrites-table'")" "0"
check_eq "the session's lock_timeout is kept" "$("${P[@]}" -d "$DB" -c "SET lock_timeout = '5s'" -c "SELECT count(*) FROM audit.trace('SET lock_timeout = 1')" -c "SHOW lock_timeout" | tail -1)" "5s"
check_has "the session's lock_timeout is used" "$("${P[@]}" -d "$DB" -c "SET lock_timeout = '5s'" -c "SELECT audit.trace_json('SELECT 1')->'summary'->>'lock_timeout'" | tail -1)" "5000ms (the session's)"
check_has "none set: the trace applies its own" "$(q "SELECT audit.trace_json('SELECT 1')->'summary'->>'lock_timeout'")" "2000ms (applied by the trace)"
check_eq "UPDATE rows" "$(q "SELECT rows FROM audit.trace('UPDATE recipe SET servings = 1 WHERE id <= 1000')")" "1000"
check_eq "NULL script: 22004" "$(sqlstate "SELECT * FROM audit.trace(NULL)")" "22004"
check_eq "negative hold_threshold: 22023" "$(sqlstate "SELECT * FROM audit.trace('SELECT 1', hold_threshold => '-1s')")" "22023"
check_eq "a syntax error: 42601" "$(sqlstate "SELECT * FROM audit.trace('ALTER TABLE recipe ADD COLUM x int')")" "42601"
check_eq "a trace inside a trace: 0A000" "$(q "SELECT sqlstate FROM audit.trace(\$\$SELECT * FROM audit.trace('SELECT 1')\$\$)")" "0A000"
check_eq "jsonb: rolled back, one row per statement" "$(q "SELECT d->'summary'->>'rolled_back', jsonb_array_length(d->'statements') FROM audit.trace_json('SELECT 1; SELECT 2') d")" "true|2"

# 10. nothing the traces did is left
check_eq "schema and data unchanged after every trace" "$(fingerprint | md5sum)" "$(echo "$before" | md5sum)"
check_eq "only the superuser traces of refused statements are in the ledger" "$(q "SELECT count(*) - $log_before FROM audit.ddl_log WHERE action <> 'trace'")" "0"

"${P[@]}" -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE audit_tracer" >/dev/null
summary trace
