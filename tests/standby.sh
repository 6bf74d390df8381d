#!/usr/bin/env bash
# The audits, the comparison, the verdict, the assertions and the linter on a hot standby and
# in read-only transactions (no temporary tables, no writes): a streaming replica of the
# cluster on PORT is made with pg_basebackup, runs on PORT+1, and is removed at the end.
#   tests/standby.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
SPORT=$((PORT + 1))
SDATA=$(mktemp -d /tmp/audit-standby.XXXXXX)
chmod 755 "$SDATA"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$SDATA"
use_server "$PORT"
S=(psql -X -q -At -h /tmp -p "$SPORT" -U postgres)
DB=audit_standby
cleanup() { pg_ctl_as_pg -D "$SDATA/data" -m immediate stop >/dev/null 2>&1; rm -rf "$SDATA"; }
trap cleanup EXIT

fresh_db "$DB"
"${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION audit;
CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
CREATE TABLE item (id bigint PRIMARY KEY, name text);
INSERT INTO item SELECT g, 'item ' || g FROM generate_series(1, 1000) g;
ANALYZE item;
SELECT audit.capture_baseline('before');
SQL
check "primary prepared" "$?"

# read-only transactions on the primary
out=$("${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 2>&1 <<'SQL'
BEGIN READ ONLY;
SELECT count(*) >= 0 FROM audit.verify_migrations();
SELECT count(*) >= 0 FROM audit.compare_baseline('before');
SELECT verdict FROM audit.go_no_go('before') LIMIT 1;
SELECT audit.assert_all_valid('item');
COMMIT;
SQL
)
check "read-only transaction: verify, compare, verdict, assertion ($(echo $out | tr '\n' ' '))" "$([ "$(echo $out)" = "t t proceed" ]; echo $?)"

as_pg "$PG_BIN/pg_basebackup" -h /tmp -p "$PORT" -U postgres -D "$SDATA/data" -R -X stream >/dev/null 2>&1
check "pg_basebackup" "$?"
echo "port = $SPORT" | as_pg tee -a "$SDATA/data/postgresql.auto.conf" >/dev/null
pg_ctl_as_pg -D "$SDATA/data" -l "$SDATA/server.log" -w start >/dev/null
check "standby started" "$?"
lsn=$("${P[@]}" -d "$DB" -c "SELECT pg_current_wal_lsn()")
for _ in $(seq 100); do
  caught=$("${S[@]}" -d "$DB" -c "SELECT pg_last_wal_replay_lsn() >= '$lsn'" 2>/dev/null)
  [ "$caught" = t ] && break; sleep 0.1
done
check "standby is in recovery and caught up" "$([ "$("${S[@]}" -d "$DB" -c "SELECT pg_is_in_recovery()")" = t ] && [ "$caught" = t ]; echo $?)"

on_standby() { "${S[@]}" -d "$DB" -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
r=$(on_standby "SELECT count(*) >= 0 FROM audit.verify_migrations()")
check_eq "standby: verify_migrations()" "$r" "t"
r=$(on_standby "SELECT audit.verify_migrations_json() IS NOT NULL")
check_eq "standby: verify_migrations_json()" "$r" "t"
r=$(on_standby "SELECT count(*) >= 0 FROM audit.compare_baseline('before')")
check_eq "standby: compare_baseline() against the live statistics" "$r" "t"
r=$(on_standby "SELECT verdict FROM audit.go_no_go('before') LIMIT 1")
check_eq "standby: go_no_go()" "$r" "proceed"
r=$(on_standby "SELECT audit.assert_all_valid('item'), audit.assert_no_nulls('item', 'name')")
check "standby: assertions ($r)" "$?"
r=$(on_standby "SELECT string_agg(rule, ',' ORDER BY rule) FROM audit.lint('CREATE INDEX ON item (name)')")
check_eq "standby: audit.lint() with the catalog" "$r" "lock-timeout,require-concurrent-index"
r=$(on_standby "SELECT audit.capture_baseline('after')")
check "standby: capture_baseline() refused as a write in recovery ($(echo "$r" | head -1))" \
  "$(echo "$r" | grep -q 'read-only transaction'; echo $?)"

cleanup; trap - EXIT
"${P[@]}" -d postgres -c "DROP DATABASE $DB" >/dev/null
summary standby
