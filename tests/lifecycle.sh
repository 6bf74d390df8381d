#!/usr/bin/env bash
# Extension lifecycle: CREATE, DROP (nothing left behind but the cluster-wide role), and
# pg_dump / pg_restore of a database with the extension and its ledgers.
#   tests/lifecycle.sh PORT
set -uo pipefail
PORT=${1:?port}
. "$(dirname "$0")/../scripts/lib.sh"
BIN=$PG_BIN
use_server "$PORT"; P+=(-v ON_ERROR_STOP=1)
eq() { [ "$1" = "$2" ]; echo $?; }
DUMP=$(mktemp -d); trap 'rm -rf "$DUMP"' EXIT; chmod 777 "$DUMP"
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS audit_life" -c "DROP DATABASE IF EXISTS audit_life_restored" -c "CREATE DATABASE audit_life"
"${P[@]}" -d audit_life >/dev/null <<'SQL'
CREATE EXTENSION audit;
CREATE TABLE t (id int PRIMARY KEY, v int);
INSERT INTO t SELECT g, g FROM generate_series(1, 100) g;
SET lock_timeout = '2s';
BEGIN;
SELECT audit.allow('require-concurrent-index', 'lifecycle test');
CREATE INDEX t_v_idx ON t (v);
COMMIT;
SELECT audit.capture_baseline('b1');
SELECT audit.restore_point('life-1');
SQL
check "ledger and baseline written" "$(eq "$("${P[@]}" -d audit_life -c "SELECT (SELECT count(*) FROM audit.ddl_log) || '/' || (SELECT count(*) FROM audit.baselines)")" "2/1")"
# dump and restore (the restore runs unchecked for its session, as docs/enforcement.md says)
"$BIN/pg_dump" -h /tmp -p "$PORT" -U postgres -Fc -f "$DUMP/life.dump" audit_life
check "pg_dump" "$?"
"${P[@]}" -d postgres -c "CREATE DATABASE audit_life_restored"
PGOPTIONS="-c audit.enforcement=off -c client_min_messages=warning" "$BIN/pg_restore" -h /tmp -p "$PORT" -U postgres -d audit_life_restored "$DUMP/life.dump"
check "pg_restore" "$?"
check "restored: ledger, baseline rows and restore points came back" "$(eq "$("${P[@]}" -d audit_life_restored -c "SELECT (SELECT count(*) FROM audit.ddl_log) || '/' || (SELECT count(*) FROM audit.baseline_tables) || '/' || (SELECT count(*) FROM audit.restore_points)")" "$("${P[@]}" -d audit_life -c "SELECT (SELECT count(*) FROM audit.ddl_log) || '/' || (SELECT count(*) FROM audit.baseline_tables) || '/' || (SELECT count(*) FROM audit.restore_points)")")"
check "restored: event triggers present and enabled always" "$(eq "$("${P[@]}" -d audit_life_restored -c "SELECT string_agg(evtname || ':' || evtenabled::text, ',' ORDER BY evtname) FROM pg_event_trigger")" "audit_ddl_command_start:A,audit_table_rewrite:A")"
"${P[@]}" -d audit_life_restored -c "CREATE INDEX ON t (id, v)" >/dev/null 2>&1
check "restored: enforcement works" "$([ $? != 0 ]; echo $?)"
# the ledger sequence continues after the restore
"${P[@]}" -d audit_life_restored -c "BEGIN; SELECT audit.allow('drop-column', 'after restore'); COMMIT;" >/dev/null
check "restored: new ledger rows get new ids" "$(eq "$("${P[@]}" -d audit_life_restored -c "SELECT count(DISTINCT id) = count(*) FROM audit.ddl_log")" "t")"
# DROP EXTENSION leaves nothing behind
"${P[@]}" -d audit_life -c "DROP EXTENSION audit"
check "drop: no event trigger, function, table or view left" "$(eq "$("${P[@]}" -d audit_life -c "SELECT (SELECT count(*) FROM pg_event_trigger) + (SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE nspname = 'audit') + (SELECT count(*) FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE nspname = 'audit')")" "0")"
# CREATE EXTENSION made the schema from the control file, so it is not a member: it stays, empty
"${P[@]}" -d audit_life -c "SET audit.enforcement = off" -c "DROP SCHEMA audit" >/dev/null
check "drop: the schema audit is left empty (DROP SCHEMA audit without CASCADE works)" "$?"
check "drop: the cluster-wide role audit_admin stays" "$(eq "$("${P[@]}" -d audit_life -c "SELECT count(*) FROM pg_roles WHERE rolname = 'audit_admin'")" "1")"
r=$("${P[@]}" -d audit_life -c "SET lock_timeout = 0" -c "CREATE INDEX ON t (v, id)" 2>&1 | grep -m1 ERROR)
if [ -n "$(psql -X -At -h /tmp -p "$PORT" -U postgres -d postgres -c "SELECT 1 WHERE 'audit' = ANY (string_to_array(current_setting('shared_preload_libraries'), ','))")" ]; then
  check_has "drop: DDL is still checked, by the preloaded hook" "$r" 'CREATE INDEX without CONCURRENTLY'
else
  check_eq "drop: DDL is no longer checked (not preloaded)" "$r" ""
fi
"${P[@]}" -d audit_life -c "CREATE EXTENSION audit" -c "SELECT count(*) FROM audit.rules" >/dev/null
check "create again after drop (role already there)" "$?"
"${P[@]}" -d audit_life -c "ALTER EXTENSION audit UPDATE" >/dev/null
check "ALTER EXTENSION audit UPDATE at the current version is a no-op" "$?"
"${P[@]}" -d postgres -c "DROP DATABASE audit_life" -c "DROP DATABASE audit_life_restored"
summary lifecycle
