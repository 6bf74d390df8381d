#!/usr/bin/env bash
# The ProcessUtility hook (audit in shared_preload_libraries): VACUUM FULL, CLUSTER and REINDEX
# refused as they run (REINDEX by the hook before 17, by the event trigger from 17); every DDL
# statement enforced in a database where CREATE EXTENSION audit was never run, with the
# refusal in the server log; BEGIN/SET/COMMIT untouched. With MODE nopreload (a cluster
# without audit preloaded): no hook, VACUUM FULL passes, as the docs say.
#   tests/hook.sh PORT [preloaded|nopreload]
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}; MODE=${2:-preloaded}
. scripts/lib.sh
use_server "$PORT"
setup_db() { # DB [extension]
  fresh_db "$1"
  "${P[@]}" -d "$1" -v ON_ERROR_STOP=1 >/dev/null <<SQL
$([ "${2:-}" = extension ] && echo "CREATE EXTENSION audit;")
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hook_owner') THEN CREATE ROLE hook_owner LOGIN; END IF;
END \$\$;
GRANT CREATE, USAGE ON SCHEMA public TO hook_owner;
SET audit.enforcement = off;
CREATE TABLE item (id bigint PRIMARY KEY, a int);
INSERT INTO item SELECT g, g FROM generate_series(1, 20000) g;
ANALYZE item;
ALTER TABLE item OWNER TO hook_owner;
CREATE MATERIALIZED VIEW item_mv AS SELECT id FROM item;
ALTER MATERIALIZED VIEW item_mv OWNER TO hook_owner;
SQL
}
# as_owner DB SQL...: prints "ok" or the first error line
as_owner() {
  local db=$1; shift
  local out
  out=$(psql -X -q -At -h /tmp -p "$PORT" -U hook_owner -d "$db" -v ON_ERROR_STOP=1 -c "SET lock_timeout = '2s'" "$@" 2>&1) \
    && echo ok || echo "$out" | grep -m1 -E 'ERROR|FATAL'
}
V=$(( $("${P[@]}" -d postgres -c "SHOW server_version_num") / 10000 ))

if [ "$MODE" = nopreload ]; then
  setup_db audit_hook extension
  check_eq "without preload: VACUUM FULL is not enforced (no hook)" "$(as_owner audit_hook -c "VACUUM FULL item")" "ok"
  "${P[@]}" -d postgres -c "DROP DATABASE audit_hook" >/dev/null
  summary hook
  exit
fi

setup_db audit_hook extension
check_has "VACUUM FULL refused" "$(as_owner audit_hook -c "VACUUM FULL item")" 'VACUUM FULL rewrites'
check_has "CLUSTER refused" "$(as_owner audit_hook -c "CLUSTER item USING item_pkey")" 'CLUSTER rewrites'
check_has "REINDEX TABLE refused (PostgreSQL $V: $([ "$V" -ge 17 ] && echo event trigger || echo hook))" \
  "$(as_owner audit_hook -c "REINDEX TABLE item")" 'REINDEX of'
check_has "REFRESH MATERIALIZED VIEW without CONCURRENTLY refused" "$(as_owner audit_hook -c "REFRESH MATERIALIZED VIEW item_mv")" 'REFRESH MATERIALIZED VIEW'
check_eq "plain VACUUM runs" "$(as_owner audit_hook -c "VACUUM item")" "ok"
check_eq "REINDEX CONCURRENTLY runs" "$(as_owner audit_hook -c "REINDEX TABLE CONCURRENTLY item")" "ok"
check_eq "BEGIN, SET, COMMIT pass" "$(as_owner audit_hook -c "BEGIN" -c "SET LOCAL work_mem = '8MB'" -c "COMMIT")" "ok"
r=$("${P[@]}" -d audit_hook -c "SELECT action || ':' || rule FROM audit.ddl_log WHERE rule = 'vacuum-full'" 2>&1)
check_eq "a refusal leaves no ledger row (the transaction rolled back)" "$r" ""
r=$("${P[@]}" -d audit_hook -c "BEGIN" -c "SELECT audit.allow('vacuum-full', 'hook test')" -c "SET audit.rule_levels = 'vacuum-full=warn'" -c "CLUSTER item USING item_pkey" -c "COMMIT" 2>&1 | grep -m1 ERROR)
check_has "audit.allow() is not a back door for other rules" "$r" 'CLUSTER'

setup_db audit_tenant
check_has "a database without the extension: CREATE INDEX refused" "$(as_owner audit_tenant -c "CREATE INDEX ON item (a)")" 'CREATE INDEX without CONCURRENTLY'
check_has "a database without the extension: a rewriting type change refused" "$(as_owner audit_tenant -c "ALTER TABLE item ALTER COLUMN a TYPE bigint")" 'rewrite'
check_has "a database without the extension: VACUUM FULL refused" "$(as_owner audit_tenant -c "VACUUM FULL item")" 'VACUUM FULL'
check_eq "a database without the extension: a new table and its index are fine" \
  "$(as_owner audit_tenant -c "BEGIN" -c "CREATE TABLE t2 (a int)" -c "CREATE INDEX ON t2 (a)" -c "COMMIT")" "ok"
check_eq "a database without the extension: CREATE INDEX CONCURRENTLY runs" "$(as_owner audit_tenant -c "CREATE INDEX CONCURRENTLY ON item (a)")" "ok"
log=$(ls -d /tmp/audit-*/data 2>/dev/null | head -1)
r=$(grep -h 'audit-refusal: rule=require-concurrent-index' "${AUDIT_TEST_DATA:-/tmp/audit-regress/data}"/server.log /tmp/q*/data/server.log 2>/dev/null | grep -c 'relation=public.item')
check "the refusals are in the server log ($r lines)" "$([ "$r" -gt 0 ]; echo $?)"
r=$("${P[@]}" -d audit_tenant -c "SET audit.enforcement = off" -c "CREATE INDEX ON item (id, a)" 2>&1 | grep -m1 ERROR)
check_eq "a superuser's audit.enforcement = off lets it through" "$r" ""

for db in audit_hook audit_tenant; do "${P[@]}" -d postgres -c "DROP DATABASE $db" >/dev/null; done
summary hook
