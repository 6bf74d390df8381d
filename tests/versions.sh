#!/usr/bin/env bash
# What differs between PostgreSQL versions, checked on the live server of each (run on every
# supported version by scripts/test.sh): the grammar audit.lint() accepts, REINDEX seen by
# event triggers from 17, the event_triggers setting of 17, and PostgreSQL 18's virtual
# generated columns and NOT NULL constraints added NOT VALID, all as an ordinary table owner.
#   tests/versions.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
use_server "$PORT"
DB=audit_versions
V=$("${P[@]}" -d postgres -c "SHOW server_version_num"); V=$((V / 10000))
echo "PostgreSQL $V"
fresh_db "$DB"
"${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION audit;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_owner') THEN CREATE ROLE audit_owner LOGIN; END IF;
END $$;
GRANT CREATE, USAGE ON SCHEMA public TO audit_owner;
CREATE TABLE item (id bigint PRIMARY KEY, price int, title text);
INSERT INTO item SELECT g, g, 'item ' || g FROM generate_series(1, 5000) g;
ANALYZE item;
ALTER TABLE item OWNER TO audit_owner;
SQL
O=(psql -X -q -At -h /tmp -p "$PORT" -U audit_owner -d "$DB")
# run SQL as the table owner; prints "ok" or the error's first line
as_owner() { local out; out=$("${O[@]}" -v ON_ERROR_STOP=1 -c "$1" 2>&1) && echo ok || echo "$out" | grep -m1 -E 'ERROR|FATAL' ; }

# the grammar: a subquery without an alias is valid from 16
r=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM audit.lint('SELECT * FROM (SELECT 1)')" 2>&1 | head -1)
if [ "$V" -ge 16 ]; then
  check_eq "audit.lint() parses a subquery without an alias" "$r" "0"
else
  check_has "audit.lint() refuses a subquery without an alias as this server does" "$r" 'must have an alias'
fi

# REINDEX: an event trigger sees it from 17 on
r=$(as_owner "REINDEX TABLE item")
if [ "$V" -ge 17 ]; then
  check_has "REINDEX TABLE without CONCURRENTLY refused by the event trigger" "$r" 'REINDEX'
else
  # no event trigger fires for it before 17; the preloaded hook refuses it (tests/hook.sh
  # shows it passing without preload)
  check_has "REINDEX TABLE without CONCURRENTLY refused by the ProcessUtility hook" "$r" 'REINDEX'
fi
r=$(as_owner "REINDEX TABLE CONCURRENTLY item")
check_eq "REINDEX TABLE CONCURRENTLY runs" "$r" "ok"

# event_triggers (17): superuser-only, and verify_migrations() says when it is off
if [ "$V" -ge 17 ]; then
  r=$(as_owner "SET event_triggers = off")
  check_has "an ordinary role cannot set event_triggers" "$r" 'permission denied'
  r=$("${P[@]}" -d "$DB" -c "SET event_triggers = off" -c "SELECT status FROM audit.verify_migrations() WHERE check_name = 'enforcement active'")
  check_eq "verify_migrations(): enforcement active fails when event_triggers is off" "$r" "fail"
fi
r=$("${P[@]}" -d "$DB" -c "SELECT status FROM audit.verify_migrations() WHERE check_name = 'enforcement active'")
check_eq "verify_migrations(): enforcement active passes" "$r" "pass"

# PostgreSQL 18: virtual generated columns, NOT NULL constraints added NOT VALID
if [ "$V" -ge 18 ]; then
  r=$(as_owner "ALTER TABLE item ADD COLUMN price2 int GENERATED ALWAYS AS (price * 2)")
  check_eq "18: a virtual generated column is added (no rewrite)" "$r" "ok"
  r=$(as_owner "ALTER TABLE item ADD COLUMN price3 int GENERATED ALWAYS AS (price * 3) STORED")
  check_has "18: a stored generated column is refused (rewrite)" "$r" 'rewrites'
  r=$(as_owner "ALTER TABLE item ADD CONSTRAINT item_title_nn NOT NULL title")
  check_has "18: ADD CONSTRAINT ... NOT NULL without NOT VALID refused" "$r" 'without NOT VALID'
  r=$(as_owner "SET lock_timeout = '2s'; ALTER TABLE item ADD CONSTRAINT item_title_nn NOT NULL title NOT VALID")
  check_eq "18: ADD CONSTRAINT ... NOT NULL ... NOT VALID runs" "$r" "ok"
  r=$(as_owner "ALTER TABLE item VALIDATE CONSTRAINT item_title_nn")
  check_eq "18: VALIDATE CONSTRAINT of it runs" "$r" "ok"
  r=$(as_owner "ALTER TABLE item ALTER COLUMN title SET NOT NULL")
  check_eq "18: SET NOT NULL after the validated NOT NULL constraint runs" "$r" "ok"
  r=$("${P[@]}" -d "$DB" -c "SELECT string_agg(rule, ',') FROM audit.lint('ALTER TABLE item ALTER COLUMN title SET NOT NULL') WHERE rule = 'set-not-null'")
  check "18: audit.lint() knows the validated NOT NULL constraint ($r)" "$([ -z "$r" ]; echo $?)"
fi
# lock_timeout as the server applies it when the DDL runs (audit.max_lock_timeout 10s)
warnings() { "${O[@]}" -c "SET client_min_messages = warning" "$@" 2>&1 | grep -E 'WARNING|ERROR' | head -1; }
r=$(warnings -c "SET lock_timeout = 0" -c "ALTER TABLE item ADD COLUMN lt1 int")
check_has "live lock_timeout 0: lock-timeout warning" "$r" 'while lock_timeout is 0'
r=$(warnings -c "SET lock_timeout = '2s'" -c "ALTER TABLE item ADD COLUMN lt2 int")
check_eq "live lock_timeout 2s: no warning" "$r" ""
r=$(warnings -c "SET lock_timeout = '30s'" -c "ALTER TABLE item ADD COLUMN lt3 int")
check_has "live lock_timeout 30s: above audit.max_lock_timeout" "$r" '30000 ms, above audit.max_lock_timeout (10000 ms)'
r=$(warnings -c "BEGIN" -c "SET LOCAL lock_timeout = '1s'" -c "ALTER TABLE item ADD COLUMN lt4 int" -c "COMMIT")
check_eq "SET LOCAL lock_timeout counts" "$r" ""
r=$(PGOPTIONS="-c lock_timeout=0" warnings -c "ALTER TABLE item ADD COLUMN lt5 int")
check_has "PGOPTIONS lock_timeout=0 counts" "$r" 'while lock_timeout is 0'
"${P[@]}" -d "$DB" -c "ALTER ROLE audit_owner IN DATABASE $DB SET lock_timeout = '1s'" >/dev/null
r=$(warnings -c "ALTER TABLE item ADD COLUMN lt6 int")
check_eq "ALTER ROLE ... SET lock_timeout counts" "$r" ""
"${P[@]}" -d "$DB" -c "ALTER ROLE audit_owner IN DATABASE $DB RESET lock_timeout" \
  -c "ALTER DATABASE $DB SET audit.rule_levels = 'lock-timeout=block'" >/dev/null
r=$(warnings -c "ALTER TABLE item ADD COLUMN lt7 int")
check_has "lock-timeout=block refuses it" "$r" 'ERROR:  audit: statement takes AccessExclusiveLock'
"${P[@]}" -d "$DB" -c "ALTER DATABASE $DB RESET audit.rule_levels" >/dev/null

# size facts: a filled table never vacuumed or analyzed is not "0 bytes"
"${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE TABLE fresh (id bigint, v int);
ALTER TABLE fresh OWNER TO audit_owner;
INSERT INTO fresh SELECT g, g FROM generate_series(1, 20000) g;
SELECT pg_stat_force_next_flush();
SQL
sleep 1.2
r=$(warnings -c "SET lock_timeout = '2s'" -c "CREATE INDEX ON fresh (v)" ; "${O[@]}" -c "SET lock_timeout = '2s'" -c "CREATE INDEX ON fresh (v)" 2>&1 | grep DETAIL)
check_has "a never-vacuumed table's size is measured, its rows counted" "$r" 'about 20000 rows, [0-9]* kB'
# small tables: exempt while a lock_timeout bounds the queueing, not otherwise
"${P[@]}" -d "$DB" -c "CREATE TABLE tiny (id int, v int)" -c "ALTER TABLE tiny OWNER TO audit_owner" \
  -c "INSERT INTO tiny SELECT g, g FROM generate_series(1, 10) g" -c "ANALYZE tiny" >/dev/null
r=$(warnings -c "SET lock_timeout = '2s'" -c "CREATE INDEX ON tiny (v)")
check_eq "a 10-row table with lock_timeout set: CREATE INDEX runs" "$r" ""
r=$(warnings -c "SET lock_timeout = 0" -c "CREATE INDEX ON tiny (id)")
check_has "the same without lock_timeout: still refused" "$r" 'CREATE INDEX without CONCURRENTLY'

r=$(as_owner "ALTER TABLE item ALTER COLUMN price SET NOT NULL")
check_has "SET NOT NULL on a populated table without a proof is refused" "$r" 'SET NOT NULL'

"${P[@]}" -d postgres -c "DROP DATABASE $DB" >/dev/null
summary versions
