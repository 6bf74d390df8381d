#!/usr/bin/env bash
# `audit install-guard` on a database without the extension (the library's own hook switched
# off there, as on a managed service): an ordinary role's rewrite of a large table is refused
# with audit's message, SQLSTATE, DETAIL and HINT and leaves the table as it was; a small table,
# and DDL that rewrites nothing, pass; an override needs audit_admin and a reason and is
# recorded; the role cannot weaken the guard; the assertions and run_with_retry() work; --remove takes the guard out
# and keeps the records; a second install keeps them too; errors are one line, exit 2.
#   tests/guard.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
build_tool
use_server "$PORT"
DB=audit_guard_test
URL=$(db_url "$DB")
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" \
  -c "ALTER DATABASE $DB SET audit.enforcement = off" \
  -c "DROP ROLE IF EXISTS guard_app" -c "CREATE ROLE guard_app LOGIN" >/dev/null
"${P[@]}" -d "$DB" -c "GRANT CREATE ON SCHEMA public TO guard_app" >/dev/null
app() { "${P[@]}" -U guard_app -d "$DB" "$@" 2>&1; }
app -c "CREATE TABLE big (id int PRIMARY KEY, a int)" -c "INSERT INTO big SELECT g, g FROM generate_series(1, 5000) g" \
    -c "CREATE TABLE small (a int)" -c "INSERT INTO small VALUES (1)" -c "ANALYZE big" -c "ANALYZE small" >/dev/null

out=$("$AUDIT" install-guard --db "$URL" --max-rows 1000 2>&1); rc=$?
check_eq "install: exit 0" "$rc" "0"
check_has "install: says how to remove it" "$out" "audit install-guard --remove"
before=$(app -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'a'")
out=$(app -c "\\set VERBOSITY verbose" -c "ALTER TABLE big ALTER COLUMN a TYPE bigint")
check_has "a large rewrite by an ordinary role is refused" "$out" "ERROR:  42501: audit: ALTER TABLE rewrites table public.big"
check_has "the refusal names the rule, lock and size" "$out" "DETAIL:  Rule rewrites-table; the statement takes AccessExclusiveLock on public.big (about 5000 rows"
check_has "the refusal says how to override" "$out" "audit_guard.allow('rewrites-table', 'reason')"
check_eq "the refused statement left the table as it was" \
  "$(app -c "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'a'")" "$before"
check_eq "a small table's rewrite passes" "$(app -c "ALTER TABLE small ALTER COLUMN a TYPE bigint" && echo ok)" "ok"
check_eq "DDL that rewrites nothing passes" "$(app -c "ALTER TABLE big ADD COLUMN note text" && echo ok)" "ok"
out=$(app -c "SELECT audit_guard.allow('rewrites-table', 'because')")
check_has "an override by a role outside audit_admin is refused" "$out" "permission denied to override audit rules"
out=$(app -c "UPDATE audit_guard.settings SET max_rewrite_rows = 1000000000")
check_has "the role cannot raise the threshold" "$out" "permission denied"
out=$(app -c "ALTER EVENT TRIGGER audit_guard_table_rewrite DISABLE")
check_has "the role cannot disable the guard" "$out" "must be owner"
out=$(app -c "INSERT INTO audit_guard.ddl_log (current_role_name, session_role_name, rule, action) VALUES ('x', 'x', 'rewrites-table', 'allow')")
check_has "the role cannot forge an allow in the ledger" "$out" "permission denied"
"${P[@]}" -d "$DB" -c "GRANT audit_admin TO guard_app" >/dev/null
out=$(app -c "SELECT audit_guard.allow('rewrites-table', '')")
check_has "an override needs a reason" "$out" "an override needs a reason"
out=$(app -c "SET client_min_messages = notice" -c "BEGIN" -c "SELECT audit_guard.allow('rewrites-table', 'ticket 42: maintenance window')" \
          -c "ALTER TABLE big ALTER COLUMN a TYPE bigint" -c "COMMIT")
check_has "an allowed rewrite passes with a notice" "$out" "allowed by audit_guard.allow"
check_eq "the override is recorded with its reason" \
  "$("${P[@]}" -d "$DB" -c "SELECT string_agg(action || ':' || coalesce(relation, '-') || ':' || reason, ',' ORDER BY id) FROM audit_guard.ddl_log")" \
  "allow:-:ticket 42: maintenance window,override:public.big:ticket 42: maintenance window"
out=$(app -c "ALTER TABLE big ALTER COLUMN a TYPE int")
check_has "the override lasted one transaction" "$out" "rewrites table public.big"
check_eq "an assertion from the guard's schema" \
  "$(app -c "SELECT audit_guard.assert_index_valid('big_pkey')" >/dev/null && echo ok)" "ok"
# run_with_retry() from the guard's schema, as the ordinary role
check_eq "run_with_retry: done at the first attempt" \
  "$(app -c "SELECT attempt || ':' || outcome FROM audit_guard.run_with_retry('ALTER TABLE small ADD COLUMN r1 int', '1s', 3)")" "1:done"
"${P[@]}" -d "$DB" -c "BEGIN; SELECT count(*) FROM small; SELECT pg_sleep(3); COMMIT;" >/dev/null 2>&1 &
for _ in $(seq 50); do
  [ "$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'small' AND l.pid <> pg_backend_pid()")" -gt 0 ] && break
  sleep 0.1
done
out=$(app -c "\set VERBOSITY verbose" -c "SELECT * FROM audit_guard.run_with_retry('ALTER TABLE small ADD COLUMN r2 int', '100ms', 2, '10ms')")
check_has "run_with_retry: gives up after its attempts with 55P03" "$out" "ERROR:  55P03: could not obtain the locks for the statement in 2 attempts"
check_has "run_with_retry: the blocker named (the table the text names)" "$out" '"relation": "small", "transaction_age"'
wait
out=$(app -c "\set VERBOSITY verbose" -c "SELECT * FROM audit_guard.run_with_retry('COMMIT')")
check_has "run_with_retry: transaction control refused" "$out" "2D000: run_with_retry() cannot run transaction control"
out=$(app -c "\\set VERBOSITY verbose" -c "SELECT * FROM audit_guard.run_with_retry('SELECT 1; SELECT 2')")
check_has "run_with_retry: two statements refused" "$out" "22023: run_with_retry() runs exactly one statement, not 2"
out=$(app -c "SELECT attempt || ':' || outcome FROM audit_guard.run_with_retry(\$q\$COMMENT ON TABLE small IS 'a; b'; -- it's
/* ; */ \$q\$)")
check_eq "run_with_retry: a semicolon in a string or comment is not a statement" "$out" "1:done"
out=$(app -c "SELECT attempt || ':' || outcome FROM audit_guard.run_with_retry(\$q\$DO \$\$ BEGIN PERFORM 1; PERFORM 2; END \$\$\$q\$)")
check_eq "run_with_retry: nor one in a dollar-quoted body" "$out" "1:done"
out=$("$AUDIT" install-guard --db "$URL" --max-rows 10 2>&1)
check_has "a second install changes the threshold" "$out" "max_rewrite_rows is now 10"
out=$("$AUDIT" install-guard --db "$URL" --remove 2>&1); rc=$?
check_eq "remove: exit 0" "$rc" "0"
check_eq "removed: no event trigger left" "$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM pg_event_trigger")" "0"
check_eq "removed: the rewrite passes" "$(app -c "ALTER TABLE big ALTER COLUMN a TYPE int" && echo ok)" "ok"
check_eq "removed: the records stay" "$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM audit_guard.ddl_log")" "2"
"$AUDIT" install-guard --db "$URL" >/dev/null 2>&1
check_eq "reinstalled over the kept records" "$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM audit_guard.ddl_log")|$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM pg_event_trigger")" "2|1"
out=$("$AUDIT" install-guard --db "postgresql://guard_app@/$DB?host=/tmp&port=$PORT" --remove 2>&1); rc=$?
check_eq "an ordinary role cannot remove it: exit 2" "$rc" "2"
check_has "an ordinary role cannot remove it: one line" "$out" "must be owner"
out=$("$AUDIT" install-guard --db "$URL" --max-rows -1 2>&1); rc=$?
check_eq "a negative threshold: exit 2" "$rc" "2"
"${P[@]}" -d "$DB" -c "CREATE EXTENSION audit" >/dev/null 2>&1
"$AUDIT" install-guard --db "$URL" --remove --drop-records >/dev/null 2>&1
out=$("$AUDIT" install-guard --db "$URL" 2>&1); rc=$?
check_has "where the extension is installed, the guard is refused" "$out" "the audit extension is installed"
"${P[@]}" -d postgres -c "DROP DATABASE $DB" -c "DROP ROLE guard_app" >/dev/null
summary guard
