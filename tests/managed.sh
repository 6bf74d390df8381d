#!/usr/bin/env bash
# The runbook where the extension cannot be installed (a managed service; here databases
# without it, the library's hook switched off in them): `audit validate` on a staging copy
# and `audit deploy` to production with verification, baselines, row counts and the verdict
# run from the tool's own schema (the extension's SQL), the lint from the tool and blocking,
# the report saying that nothing enforces, the deployment recorded in audit_client, a second
# deploy skipping everything, an unsafe batch deferred with nothing applied, and a role that
# may not create a schema: the SQL from its session's temporary schema, the records in a file.
#   tests/managed.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
use_server "$PORT"; P+=(-v ON_ERROR_STOP=1)
W=$PWD/target/managed; rm -rf "$W"; mkdir -p "$W"
cargo build -q -p audit-cli || { echo "managed: 0 passed, 1 failed"; exit 1; }
AUDIT=$PWD/target/debug/audit
BASE=audit_managed_base
fresh() {
  "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1 TEMPLATE $BASE" \
    -c "ALTER DATABASE $1 SET audit.enforcement = off" >/dev/null
}
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $BASE" -c "CREATE DATABASE $BASE" \
  -c "ALTER DATABASE $BASE SET audit.enforcement = off" >/dev/null
"${P[@]}" -d "$BASE" -c "CREATE EXTENSION pg_stat_statements" -f migrations/base/schema.sql >/dev/null
"${P[@]}" -d "$BASE" -v scale=0.05 -f migrations/base/data.sql >/dev/null
"${P[@]}" -d "$BASE" -c "VACUUM ANALYZE" >/dev/null
RECIPES=$("${P[@]}" -d "$BASE" -c "SELECT max(id) FROM recipes"); USERS=$("${P[@]}" -d "$BASE" -c "SELECT max(id) FROM users")
fresh audit_managed_staging; fresh audit_managed_prod
# the recipe batch as a team on a managed service writes it: the assertions from the tool's
# schema (audit_client), assert_not_in_transaction() (the extension's own C code) left out
M=$W/migrations; mkdir -p "$M"
for f in migrations/safe/*.sql; do
  grep -v 'assert_not_in_transaction' "$f" | sed 's/audit\./audit_client./g' > "$M/$(basename "$f")"
done
[ -d migrations/safe/rollback ] && cp -r migrations/safe/rollback "$M/"

"$AUDIT" validate --db "dbname=audit_managed_staging" --migrations "$M" \
  --workload migrations/workload.sql -D "recipes=$RECIPES" -D "users=$USERS" --window 3s --rate 60 \
  --out "$W/staging" -q > "$W/staging.txt" 2>&1; rc=$?
R=$W/staging/report.json
check_eq "validate without the extension: the safe batch proceeds (exit 0)" "$rc" "0"
# on a failure, what the verdict said (a CI log keeps nothing else)
[ "$rc" = 0 ] || sed -n '/^== Verification/,$s/^/    /p' "$W/staging.txt"
check_eq "validate: no extension in the database" \
  "$("${P[@]}" -d audit_managed_staging -c "SELECT count(*) FROM pg_extension WHERE extname = 'audit'")" "0"
check_has "validate: the report says nothing enforces" "$(json "$R" '"; ".join(d["not_checked"])')" "enforcement: none, extension not installed"
check_has "validate: the preflight names the tool's schema" \
  "$(json "$R" '[c["detail"] for c in d["preflight"] if c["name"] == "audit extension"][0]')" "schema audit_client"
check_eq "validate: every file applied" "$(json "$R" 'sum(f["outcome"] == "applied" for f in d["files"])')" "9"
check_eq "validate: verification ran (the extension's checks, from audit_client)" \
  "$(json "$R" 'len(d["verification"]) > 0 and all(v["status"] != "fail" for v in d["verification"])')" "True"
check_eq "validate: the lint ran from the tool, with the catalog's sizes" \
  "$(json "$R" 'any(x.get("table_rows") is not None for l in d["lint"] for x in l["findings"])')" "True"
check_eq "validate: the performance comparison ran" "$(json "$R" 'len(d["performance"]) > 0')" "True"
check_eq "validate: the tool's functions are the extension's SQL" \
  "$("${P[@]}" -d audit_managed_staging -c "SELECT count(*) FROM pg_proc WHERE pronamespace = 'audit_client'::regnamespace AND proname IN ('verify_migrations', 'capture_baseline', 'compare_baseline', 'go_no_go')")" "4"

"$AUDIT" deploy --db "dbname=audit_managed_prod" --migrations "$M" --staging-report "$R" \
  --out "$W/prod" -q > "$W/prod.txt" 2>&1; rc=$?
D=$W/prod/report.json
check_eq "deploy without the extension: deployed (exit 0)" "$rc" "0"
check_eq "deploy: the verdict" "$(json "$D" 'd["verdict"]')" "deployed"
check_has "deploy: the report says nothing enforces" "$(json "$D" '"; ".join(d["not_checked"])')" "enforcement: none"
check_eq "deploy: the lint ran against production's catalog" "$(json "$D" 'len(d["lint"])')" "9"
check_eq "deploy: recorded in audit_client" \
  "$("${P[@]}" -d audit_managed_prod -c "SELECT outcome || ':' || (SELECT count(*) FROM audit_client.deployment_files) FROM audit_client.deployments ORDER BY id DESC LIMIT 1")" "deployed:9"
"$AUDIT" deploy --db "dbname=audit_managed_prod" --migrations "$M" --staging-report "$R" \
  --out "$W/prod2" -q > "$W/prod2.txt" 2>&1; rc=$?
check_eq "deploy again: exit 0, every file skipped" "$rc:$(json "$W/prod2/report.json" 'sum(f["outcome"] == "skipped" for f in d["files"])')" "0:9"

fresh audit_managed_unsafe
"$AUDIT" validate --db "dbname=audit_managed_unsafe" --migrations migrations/unsafe --skip-performance \
  --out "$W/unsafe" -q > "$W/unsafe.txt" 2>&1; rc=$?
check_eq "an unsafe batch without the extension: defer (exit 1)" "$rc" "1"
check_eq "an unsafe batch: the lint blocked it, nothing applied" \
  "$(json "$W/unsafe/report.json" 'any("lint" in b or "error" in b for b in d["blockers"]) and all(f["outcome"] != "applied" for f in d["files"])')" "True"

# a role that owns the application's tables but may not create a schema: the SQL runs from
# its session's temporary schema, and deploy keeps the records in a file
fresh audit_managed_norights; fresh audit_managed_norights_prod
"${P[@]}" -d postgres -c "DROP ROLE IF EXISTS managed_app" -c "CREATE ROLE managed_app LOGIN" >/dev/null
for d in audit_managed_norights audit_managed_norights_prod; do
  "${P[@]}" -d postgres -c "REVOKE CREATE ON DATABASE $d FROM PUBLIC" >/dev/null
  "${P[@]}" -d "$d" -c "DO \$\$ DECLARE r record; BEGIN
      FOR r IN SELECT c.oid::regclass AS t FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')
      LOOP EXECUTE format('ALTER TABLE %s OWNER TO managed_app', r.t); END LOOP; END \$\$" \
    -c "GRANT CREATE ON SCHEMA public TO managed_app" >/dev/null
done
# (nothing of audit's is there for the migrations to call: their assertions are left out)
N=$W/migrations-plain; mkdir -p "$N"
for f in "$M"/*.sql; do grep -v 'audit_client\.' "$f" > "$N/$(basename "$f")"; done
"$AUDIT" validate --db "dbname=audit_managed_norights user=managed_app" --migrations "$N" \
  --skip-performance --out "$W/norights" -q > "$W/norights.txt" 2>&1; rc=$?
check_eq "a role without CREATE on the database: validate proceeds (exit 0)" "$rc" "0"
check_has "without CREATE: the SQL ran from the session's temporary schema" \
  "$(json "$W/norights/report.json" '[c["detail"] for c in d["preflight"] if c["name"] == "audit extension"][0]')" "temporary schema"
check_eq "without CREATE: nothing of audit's left in the database" \
  "$("${P[@]}" -d audit_managed_norights -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'audit%'")" "0"
REC=$W/records.json
"$AUDIT" deploy --db "dbname=audit_managed_norights_prod user=managed_app" --migrations "$N" --records "$REC" \
  --staging-report "$W/norights/report.json" --out "$W/norights-prod" -q > "$W/norights-prod.txt" 2>&1; rc=$?
check_eq "without CREATE: deploy (exit 0)" "$rc" "0"
check_eq "without CREATE: the records are in the file" \
  "$(python3 -c "import json; d=json.load(open('$REC')); print(d['deployments'][-1]['outcome'], len(d['deployment_files']))")" "deployed 9"
"$AUDIT" deploy --db "dbname=audit_managed_norights_prod user=managed_app" --migrations "$N" --records "$REC" \
  --staging-report "$W/norights/report.json" --out "$W/norights-prod2" -q > "$W/norights-prod2.txt" 2>&1; rc=$?
check_eq "without CREATE: a second deploy reads the file and skips every file" \
  "$rc:$(json "$W/norights-prod2/report.json" 'sum(f["outcome"] == "skipped" for f in d["files"])')" "0:9"
check_eq "without CREATE: the file holds both runs" \
  "$(python3 -c "import json; d=json.load(open('$REC')); print(len(d['deployments']))")" "2"

for d in staging prod unsafe norights norights_prod; do "${P[@]}" -d postgres -c "DROP DATABASE audit_managed_$d" >/dev/null; done
"${P[@]}" -d postgres -c "DROP DATABASE $BASE" -c "DROP ROLE managed_app" >/dev/null
summary managed
