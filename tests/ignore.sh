#!/usr/bin/env bash
# `-- audit:ignore` as each judge reads it: the enforcement honours the comment for a role
# entitled to override (a member of audit_admin) and records it in audit.ddl_log as an
# override with the comment's reason; for any other role the statement is refused, and says
# why; validate makes that refusal a blocker at lint time, before any statement of the file
# runs, and applies the file for an entitled role, its comment reaching the server.
#   tests/ignore.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
build_tool
use_server "$PORT"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
DB=audit_ignore
fresh_db $DB
"${P[@]}" -d $DB >/dev/null <<'SQL'
CREATE EXTENSION audit;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ignore_owner') THEN CREATE ROLE ignore_owner; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ignore_plain') THEN CREATE ROLE ignore_plain LOGIN IN ROLE ignore_owner; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'ignore_ops') THEN CREATE ROLE ignore_ops LOGIN IN ROLE ignore_owner; END IF;
END $$;
GRANT audit_admin TO ignore_ops;
-- a CI role that may read audit's records, and is no member of audit_admin
GRANT SELECT ON audit.applied_migrations TO ignore_plain;
GRANT CREATE, USAGE ON SCHEMA public TO ignore_owner;
SET audit.enforcement = off;
CREATE TABLE big (id int PRIMARY KEY, a int, b int);
INSERT INTO big SELECT g, g, g FROM generate_series(1, 20000) g;
ANALYZE big;
ALTER TABLE big OWNER TO ignore_owner;
SQL
# as ROLE, one query string (psql -c sends it as it is, comments and all): "ok" or the error
as() {
  local role=$1; shift
  local out
  out=$(PGOPTIONS= psql -X -q -At -h /tmp -p "$PORT" -U "$role" -d $DB -v ON_ERROR_STOP=1 -c "$1" 2>&1) \
    && echo ok || echo "$out" | grep -E 'ERROR|HINT' | tr '\n' ' '
}
ledger() { "${P[@]}" -d $DB -c "SELECT coalesce(string_agg(rule || '|' || action || '|' || coalesce(reason, '') || '|' || current_role_name, ';' ORDER BY id), '') FROM audit.ddl_log WHERE action = 'override'"; }

IDX=$'-- audit:ignore require-concurrent-index built in the maintenance window\nCREATE INDEX big_a_idx ON big (a)'
check_eq "an entitled role's statement under -- audit:ignore runs" "$(as ignore_ops "$IDX")" "ok"
check_eq "... recorded as an override with the comment's reason" "$(ledger)" \
  "require-concurrent-index|override|audit:ignore: built in the maintenance window|ignore_ops"
r=$(as ignore_plain "${IDX//big_a_idx/big_b_idx}")
check_has "any other role: refused (42501)" "$r" "ERROR:  audit: CREATE INDEX without CONCURRENTLY"
check_has "... and told the comment is honoured only for audit_admin" "$r" 'honoured only for members of audit_admin, and role "ignore_plain" is not one'
check_has "the entitled role without the comment: refused" "$(as ignore_ops "CREATE INDEX big_b_idx ON big (b)")" "ERROR:  audit: CREATE INDEX"
check_has "a comment for another rule does not help" \
  "$(as ignore_ops $'-- audit:ignore set-not-null not this one\nCREATE INDEX big_b_idx ON big (b)')" "ERROR:  audit: CREATE INDEX"
check_eq "nothing else was recorded as an override" "$("${P[@]}" -d $DB -c "SELECT count(*) FROM audit.ddl_log WHERE action = 'override'")" "1"
# a file sent whole (dbmate, golang-migrate): the comment before its third statement is that
# statement's; for a role not entitled the file is refused, and its earlier statements with it
FILE=$'CREATE TABLE side (id int);\nALTER TABLE big ADD COLUMN c int;\n-- audit:ignore require-concurrent-index small enough\nCREATE INDEX big_c_idx ON big (c);'
r=$(as ignore_plain "$FILE")
check_has "a whole file by a role not entitled: refused at the suppressed statement" "$r" "honoured only for members"
check_eq "... and nothing of it stays" "$("${P[@]}" -d $DB -c "SELECT count(*) FROM pg_class WHERE relname IN ('side', 'big_c_idx')") $("${P[@]}" -d $DB -c "SELECT count(*) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'c'")" "0 0"
check_eq "the same file by an entitled role runs" "$(as ignore_ops "$FILE")" "ok"
# file-wide, at the rewrite (the table_rewrite trigger)
check_eq "-- audit:ignore-file covers the rewrite, for an entitled role" \
  "$(as ignore_ops $'-- audit:ignore-file column-type-change the app reads it as text already\nALTER TABLE big ALTER COLUMN b TYPE text')" "ok"
check_has "... recorded" "$(ledger)" "column-type-change|override|audit:ignore: the app reads it as text already|ignore_ops"
check_has "a role not entitled: the rewrite is refused" \
  "$(as ignore_plain $'-- audit:ignore-file column-type-change no\nALTER TABLE big ALTER COLUMN a TYPE bigint')" "rewrites table"
# the lint reads the same comments: it passes the statement, for any role
check_eq "audit.lint(): the finding is suppressed, with the reason" \
  "$("${P[@]}" -d $DB -c "SELECT rule || '|' || ignored FROM audit.lint(\$\$$IDX\$\$) WHERE rule = 'require-concurrent-index'")" \
  "require-concurrent-index|built in the maintenance window"

# validate: for a role not entitled, the suppressed statement is a blocker at lint time and
# nothing of the file runs; for an entitled one, it applies, with its comment
M=$W/m; mkdir -p "$M"
cat > "$M/001_index.sql" <<'SQL'
CREATE TABLE side2 (id int);
-- audit:ignore require-concurrent-index built in the maintenance window
CREATE INDEX big_d_idx ON big (id, a);
SQL
fresh_db audit_ignore_staging $DB
"$AUDIT" validate --db "postgresql://ignore_plain@/audit_ignore_staging?host=/tmp&port=$PORT" --migrations "$M" \
  --skip-performance --out "$W/plain" -q > "$W/plain.txt" 2>&1; rc=$?
check_eq "validate by a role not entitled: defers (exit 1)" "$rc" "1"
check_has "... the blocker says why, at lint time" "$(json "$W/plain/report.json" '"; ".join(d["blockers"])')" \
  "lint: 001_index.sql:3: require-concurrent-index: suppressed by -- audit:ignore, which the enforcement honours only for members of audit_admin"
check_eq "... nothing of the file ran" \
  "$(json "$W/plain/report.json" '[f["outcome"] for f in d["files"]]') $("${P[@]}" -d audit_ignore_staging -c "SELECT count(*) FROM pg_class WHERE relname = 'side2'")" \
  "['not run'] 0"
"$AUDIT" validate --db "postgresql://ignore_ops@/audit_ignore_staging?host=/tmp&port=$PORT" --migrations "$M" \
  --skip-performance --out "$W/ops" -q > "$W/ops.txt" 2>&1; rc=$?
check_eq "validate by an entitled role: proceeds (exit 0)" "$rc" "0"
[ "$rc" = 0 ] || sed -n '1,30s/^/    /p' "$W/ops.txt"
check_eq "... the statement ran under its comment, recorded with its reason" \
  "$("${P[@]}" -d audit_ignore_staging -c "SELECT count(*) FROM pg_indexes WHERE indexname = 'big_d_idx'") $("${P[@]}" -d audit_ignore_staging -c "SELECT reason FROM audit.ddl_log WHERE action = 'override' AND current_role_name = 'ignore_ops' ORDER BY id DESC LIMIT 1")" \
  "1 audit:ignore: built in the maintenance window"

"${P[@]}" -d postgres -c "DROP DATABASE $DB" -c "DROP DATABASE audit_ignore_staging" >/dev/null
summary ignore
