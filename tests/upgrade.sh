#!/usr/bin/env bash
# Upgrading the extension in place (run on every version): every released version is installed
# (CREATE EXTENSION audit VERSION 'X'), its tables filled (ledger rows from real overrides and a
# warning, baselines, restore points, deployments where the version has them, a database
# setting), then ALTER EXTENSION audit UPDATE to the current version. Afterwards every row is
# still there, the event triggers enforce, and the extension's objects are exactly those of a
# fresh install of the current version (every member object with its definition, privileges and
# comment). A schema change without an upgrade step fails here.
#   tests/upgrade.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
use_server "$PORT"; P+=(-v ON_ERROR_STOP=1)
CURRENT=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
# every member object of the extension, described with its definition: the schema's fingerprint
describe() {
  "${P[@]}" -d "$1" <<'SQL'
SELECT pg_describe_object(d.classid, d.objid, 0) || ' | ' || coalesce(CASE d.classid
         WHEN 'pg_proc'::regclass THEN pg_get_functiondef(d.objid) || coalesce((SELECT array_to_string(proacl, ',') FROM pg_proc WHERE oid = d.objid), '')
         WHEN 'pg_class'::regclass THEN (SELECT c.relkind::text || ':' || coalesce(array_to_string(c.relacl, ','), '') || ':' ||
                coalesce(obj_description(c.oid, 'pg_class'), '') || ':' ||
                coalesce(pg_get_viewdef(c.oid), '') || ':' ||
                coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
                                              || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), ''), ', ' ORDER BY a.attnum)
                            FROM pg_attribute a LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
                           WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped), '') || ':' ||
                coalesce((SELECT string_agg(pg_get_constraintdef(k.oid), '; ' ORDER BY k.conname) FROM pg_constraint k WHERE k.conrelid = c.oid), '') || ':' ||
                coalesce((SELECT string_agg(pg_get_indexdef(i.indexrelid), '; ' ORDER BY 1) FROM pg_index i WHERE i.indrelid = c.oid), '')
              FROM pg_class c WHERE c.oid = d.objid)
         WHEN 'pg_event_trigger'::regclass THEN (SELECT evtevent::text || ':' || evtenabled::text || ':' || evtfoid::regproc || ':' || coalesce(array_to_string(evttags, ','), '') FROM pg_event_trigger WHERE oid = d.objid)
         ELSE '' END, '')
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'audit')
 ORDER BY 1;
SQL
}
counts() {
  "${P[@]}" -d "$1" -c "SELECT (SELECT count(*) FROM audit.ddl_log) || ' ' || (SELECT count(*) FROM audit.baselines) || ' ' ||
      (SELECT count(*) FROM audit.baseline_tables) || ' ' || (SELECT count(*) FROM audit.restore_points)"
}

"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS audit_upgrade_fresh" -c "CREATE DATABASE audit_upgrade_fresh" >/dev/null
"${P[@]}" -d audit_upgrade_fresh -c "CREATE EXTENSION audit" >/dev/null
check_eq "a fresh install is the current version" "$("${P[@]}" -d audit_upgrade_fresh -c "SELECT extversion FROM pg_extension WHERE extname = 'audit'")" "$CURRENT"
fresh=$(describe audit_upgrade_fresh)
check_has "the description covers the deployment history" "$fresh" '^table audit.deployments | r:'

for old in $(ls sql/releases/ | sed -n 's/^audit--\([0-9.]*\)\.sql$/\1/p' | sort -V); do
  [ "$old" = "$CURRENT" ] && continue
  db=audit_upgrade_from_${old//./_}
  fresh_db "$db"
  "${P[@]}" -d "$db" -c "CREATE EXTENSION audit VERSION '$old'" >/dev/null
  check_eq "$old: installs from its kept script" "$("${P[@]}" -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'audit'")" "$old"
  # real records: an override and what it let through, a warning, baselines, a restore point
  PGOPTIONS="-c client_min_messages=error" "${P[@]}" -d "$db" -f tests/records.sql >/dev/null
  "${P[@]}" -d postgres -c "ALTER DATABASE $db SET audit.rule_levels = 'prefer-bigint=off'" >/dev/null
  before=$(counts "$db")
  check_has "$old: the ledger, baselines and restore points are filled" "$before" '^[1-9][0-9]* 1 [1-9][0-9]* 1$'
  out=$("${P[@]}" -d "$db" -c "ALTER EXTENSION audit UPDATE" 2>&1); rc=$?
  check_eq "$old: ALTER EXTENSION audit UPDATE ($out)" "$rc" 0
  check_eq "$old: now the current version" "$("${P[@]}" -d "$db" -c "SELECT extversion FROM pg_extension WHERE extname = 'audit'")" "$CURRENT"
  check_eq "$old: every row kept" "$(counts "$db")" "$before"
  check_eq "$old: the database setting kept" "$("${P[@]}" -d "$db" -c "SELECT array_to_string(setconfig, ',') FROM pg_db_role_setting WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = '$db')")" "audit.rule_levels=prefer-bigint=off"
  out=$("${P[@]}" -d "$db" -c "SET audit.small_table_rows = 0" -c "CREATE INDEX t_id2 ON t (id)" 2>&1)
  check_has "$old: the event triggers enforce after the update" "$out" 'ERROR:  audit: CREATE INDEX without CONCURRENTLY'
  check_eq "$old: the deployment history works" "$("${P[@]}" -d "$db" -c "INSERT INTO audit.deployments (kind, fingerprint) VALUES ('deploy', 'x') RETURNING outcome")" "running"
  "${P[@]}" -d "$db" -c "DELETE FROM audit.deployments" >/dev/null
  got=$(describe "$db")
  if [ "$got" = "$fresh" ]; then check "$old: the schema is identical to a fresh install of $CURRENT" 0
  else
    check "$old: the schema is identical to a fresh install of $CURRENT" 1
    diff <(echo "$fresh") <(echo "$got") | head -20
  fi
  "${P[@]}" -d postgres -c "DROP DATABASE $db" >/dev/null
done
"${P[@]}" -d postgres -c "DROP DATABASE audit_upgrade_fresh" >/dev/null
summary upgrade
