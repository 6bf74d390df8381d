#!/usr/bin/env bash
# audit.run_with_retry() against real blocking sessions: a lock wait that never clears gives up
# with 55P03 and the blocker in DETAIL; one that clears after a while succeeds on a later
# attempt, each attempt reported with its blockers; bad input is refused with a SQLSTATE; the
# statement still goes through the event triggers.
#   tests/retry.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
use_server "$PORT"
DB=audit_retry
fresh_db "$DB"
"${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION audit;
CREATE TABLE item (id bigint PRIMARY KEY, a int);
INSERT INTO item SELECT g, g FROM generate_series(1, 1000) g;
SQL
# hold_for SECONDS: a session that reads item in an open transaction (ACCESS SHARE) that long
hold_for() {
  "${P[@]}" -d "$DB" -c "BEGIN; SELECT count(*) FROM item; SELECT pg_sleep($1); COMMIT;" >/dev/null 2>&1 &
  for _ in $(seq 50); do
    [ "$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'item' AND l.pid <> pg_backend_pid()")" -gt 0 ] && return
    sleep 0.1
  done
}
sqlstate() { "${P[@]}" -d "$DB" -v VERBOSITY=sqlstate -c "\\set VERBOSITY sqlstate" -c "$1" 2>&1 | grep -m1 -oE 'ERROR: +[0-9A-Z]{5}' | awk '{print $2}'; }

hold_for 6
out=$("${P[@]}" -d "$DB" -c "\\set VERBOSITY verbose" -c "SET client_min_messages = notice" -c "SELECT * FROM audit.run_with_retry('ALTER TABLE item ADD COLUMN b int', '100ms', 3, '20ms')" 2>&1)
check_has "a lock that never clears: gives up with 55P03" "$(echo "$out" | grep ERROR)" '55P03'
check_has "the blocker's query is in DETAIL" "$(echo "$out" | grep DETAIL | tail -1)" 'pg_sleep'
check_eq "two retries were announced" "$(echo "$out" | grep -c 'NOTICE:.*retrying')" "2"
check_eq "nothing was changed" "$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'item'::regclass AND attname = 'b'")" "0"
wait

hold_for 1
out=$("${P[@]}" -d "$DB" -c "SELECT attempt, outcome, jsonb_array_length(coalesce(blockers, '[]')) > 0 FROM audit.run_with_retry('ALTER TABLE item ADD COLUMN b int', '150ms', 20, '100ms')" 2>&1)
last=$(echo "$out" | tail -1)
check_has "a lock that clears: done on a later attempt ($(echo "$out" | wc -l) attempts)" "$last" '|done|f'
check_has "the first attempt reports its blocker" "$(echo "$out" | head -1)" '^1|lock timeout|t'
check_eq "the column was added" "$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'item'::regclass AND attname = 'b'")" "1"
wait

check_eq "no wait: done on the first attempt" "$("${P[@]}" -d "$DB" -c "SELECT attempt || outcome FROM audit.run_with_retry('ALTER TABLE item ADD COLUMN c int')")" "1done"
check_eq "attempts 0: 22023" "$(sqlstate "SELECT * FROM audit.run_with_retry('ALTER TABLE item ADD COLUMN d int', '1s', 0)")" "22023"
check_eq "lock_timeout 0: 22023" "$(sqlstate "SELECT * FROM audit.run_with_retry('ALTER TABLE item ADD COLUMN d int', '0', 3)")" "22023"
check_eq "negative lock_timeout: 22023" "$(sqlstate "SELECT * FROM audit.run_with_retry('ALTER TABLE item ADD COLUMN d int', '-1s', 3)")" "22023"
check_eq "two statements: 22023" "$(sqlstate "SELECT * FROM audit.run_with_retry('ALTER TABLE item ADD COLUMN d int; ALTER TABLE item ADD COLUMN e int')")" "22023"
check_eq "transaction control: 2D000" "$(sqlstate "SELECT * FROM audit.run_with_retry('COMMIT')")" "2D000"
check_eq "NULL statement: 22004" "$(sqlstate "SELECT * FROM audit.run_with_retry(NULL)")" "22004"
check_eq "a syntax error: 42601" "$(sqlstate "SELECT * FROM audit.run_with_retry('ALTER TABLE item ADD COLUM d int')")" "42601"
check_eq "the event trigger still refuses (not retried): 42501" "$(sqlstate "SELECT * FROM audit.run_with_retry('CREATE INDEX ON item (a)')")" "42501"
check_eq "lock_timeout is restored after the call" "$("${P[@]}" -d "$DB" -c "SET lock_timeout = '5s'" -c "SELECT count(*) FROM audit.run_with_retry('ALTER TABLE item ADD COLUMN f int', '100ms')" -c "SHOW lock_timeout" | tail -1)" "5s"

"${P[@]}" -d postgres -c "DROP DATABASE $DB" >/dev/null
summary retry
