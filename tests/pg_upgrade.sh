#!/usr/bin/env bash
# pg_upgrade from PostgreSQL 15 to 18 with audit installed and its tables full: a 15 cluster
# with audit and pg_stat_statements preloaded, the ledger filled by real overrides, a baseline,
# a restore point and a deployment recorded; pg_upgrade --check passes, the upgrade runs, and on
# 18 the rows are intact, the extension is the same version and enforcement refuses unsafe DDL.
# Needs audit built and installed for both (scripts/install.sh with AUDIT_PG=15 and 18).
#   tests/pg_upgrade.sh PORT      (uses PORT and PORT+1)
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
OLD=${AUDIT_UPGRADE_FROM:-15}; NEW=${AUDIT_UPGRADE_TO:-18}
OLD_CONFIG=$(PG_CONFIG= AUDIT_PG=$OLD bash -c '. scripts/lib.sh; echo $PG_CONFIG')
NEW_CONFIG=$(PG_CONFIG= AUDIT_PG=$NEW bash -c '. scripts/lib.sh; echo $PG_CONFIG')
. scripts/lib.sh
OLD_BIN=$("$OLD_CONFIG" --bindir); NEW_BIN=$("$NEW_CONFIG" --bindir); NEW_LIB=$("$NEW_CONFIG" --libdir); OLD_LIB=$("$OLD_CONFIG" --libdir)
W=/tmp/audit-pg-upgrade; rm -rf "$W"; mkdir -p "$W"; [ "$(id -u)" = 0 ] && chown postgres "$W"
export PGHOST=/tmp PGUSER=postgres PGOPTIONS="-c client_min_messages=error"
P=(psql -X -q -At -v ON_ERROR_STOP=1)
for v in "$OLD" "$NEW"; do
  c=$OLD_CONFIG; [ "$v" = "$NEW" ] && c=$NEW_CONFIG
  if [ ! -f "$("$c" --pkglibdir)/audit.so" ]; then
    echo "FAIL audit is not installed for PostgreSQL $v (scripts/install.sh with AUDIT_PG=$v)"; echo "pg_upgrade: 0 passed, 1 failed"; exit 1
  fi
done
stop_all() {
  for d in old new; do
    [ -f "$W/$d/postmaster.pid" ] && as_pg env LD_LIBRARY_PATH="$NEW_LIB" "$NEW_BIN/pg_ctl" -D "$W/$d" -m immediate stop >/dev/null 2>&1
  done
  return 0
}
trap stop_all EXIT
conf() {
  { echo "port = $2"; echo "listen_addresses = ''"; echo "unix_socket_directories = '/tmp'"; echo "fsync = off"
    echo "shared_preload_libraries = 'pg_stat_statements,audit'"; } | as_pg tee -a "$1/postgresql.conf" >/dev/null
}
# the 15 cluster, filled
as_pg env LD_LIBRARY_PATH="$OLD_LIB" "$OLD_BIN/initdb" -D "$W/old" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >/dev/null
conf "$W/old" "$PORT"
as_pg env LD_LIBRARY_PATH="$OLD_LIB" "$OLD_BIN/pg_ctl" -D "$W/old" -l "$W/old.log" -w start >/dev/null
"${P[@]}" -p "$PORT" -d postgres -c "CREATE DATABASE app" >/dev/null
"${P[@]}" -p "$PORT" -d app -c "CREATE EXTENSION audit" -c "CREATE EXTENSION pg_stat_statements" -f tests/records.sql >/dev/null
"${P[@]}" -p "$PORT" -d app >/dev/null <<'SQL'
INSERT INTO audit.deployments (kind, fingerprint, outcome) VALUES ('deploy', 'abc', 'deployed');
INSERT INTO audit.deployment_files (deployment_id, file, sha256, action, outcome)
  SELECT id, '0001_x.sql', 'f00', 'apply', 'applied' FROM audit.deployments;
SQL
state() {
  "${P[@]}" -p "$1" -d app -c "SELECT (SELECT extversion FROM pg_extension WHERE extname = 'audit') || ' ' ||
      (SELECT count(*) FROM audit.ddl_log) || ' ' || (SELECT count(*) FROM audit.baseline_tables) || ' ' ||
      (SELECT count(*) FROM audit.restore_points) || ' ' || (SELECT string_agg(file || ':' || sha256, ',') FROM audit.applied_migrations) || ' ' ||
      (SELECT count(*) FROM t)"
}
before=$(state "$PORT")
check_has "PostgreSQL $OLD: audit's tables are filled" "$before" '^[0-9.]* [1-9][0-9]* [1-9][0-9]* 1 0001_x.sql:f00 5000$'
# Not audit's: Debian's 15.20 stamps a column option pg_attver on every column, which PyPI's
# 18.6 does not know, so pg_restore of any table fails during pg_upgrade (a plain table without
# audit too). Cleared first, as a DBA upgrading between these two builds must (docs/installing.md).
for db in postgres app; do
  "${P[@]}" -p "$PORT" -d "$db" -c "UPDATE pg_attribute a
       SET attoptions = nullif(array(SELECT o FROM unnest(a.attoptions) o WHERE o NOT LIKE 'pg_attver=%'), '{}')
     WHERE a.attoptions::text LIKE '%pg_attver=%'
       AND a.attrelid IN (SELECT oid FROM pg_class WHERE relnamespace NOT IN ('pg_catalog'::regnamespace, 'information_schema'::regnamespace))" >/dev/null
done
as_pg env LD_LIBRARY_PATH="$OLD_LIB" "$OLD_BIN/pg_ctl" -D "$W/old" -m fast -w stop >/dev/null
# the 18 cluster, empty; 18's initdb turns data checksums on, 15's did not
as_pg env LD_LIBRARY_PATH="$NEW_LIB" "$NEW_BIN/initdb" -D "$W/new" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 \
  $([ "$NEW" -ge 18 ] && echo --no-data-checksums) >/dev/null
conf "$W/new" "$((PORT + 1))"
up() { as_pg sh -c "cd '$W' && LD_LIBRARY_PATH='$NEW_LIB' '$NEW_BIN/pg_upgrade' -b '$OLD_BIN' -B '$NEW_BIN' -d '$W/old' -D '$W/new' -p $PORT -P $((PORT + 1)) -U postgres $*" > "$W/pg_upgrade${1:-}.txt" 2>&1; }
up --check; rc=$?
check "pg_upgrade --check $OLD -> $NEW passes" "$rc"
[ "$rc" = 0 ] || tail -20 "$W/pg_upgrade--check.txt"
up; rc=$?
check "pg_upgrade $OLD -> $NEW runs" "$rc"
[ "$rc" = 0 ] || tail -20 "$W/pg_upgrade.txt"
as_pg env LD_LIBRARY_PATH="$NEW_LIB" "$NEW_BIN/pg_ctl" -D "$W/new" -l "$W/new.log" -w start >/dev/null
check_eq "PostgreSQL $NEW: the server is $NEW" "$("${P[@]}" -p "$((PORT + 1))" -d app -c "SHOW server_version_num" | cut -c1-2)" "$NEW"
check_eq "PostgreSQL $NEW: the ledger, baselines, restore points and deployments intact" "$(state "$((PORT + 1))")" "$before"
out=$("${P[@]}" -p "$((PORT + 1))" -d app -c "SET audit.small_table_rows = 0" -c "CREATE INDEX t_id2 ON t (id)" 2>&1)
check_has "PostgreSQL $NEW: enforcement refuses unsafe DDL" "$out" 'ERROR:  audit: CREATE INDEX without CONCURRENTLY'
check_eq "PostgreSQL $NEW: the refusal left nothing behind" "$("${P[@]}" -p "$((PORT + 1))" -d app -c "SELECT count(*) FROM pg_indexes WHERE indexname = 't_id2'")" 0
as_pg env LD_LIBRARY_PATH="$NEW_LIB" "$NEW_BIN/pg_ctl" -D "$W/new" -m fast -w stop >/dev/null
summary pg_upgrade
