#!/usr/bin/env bash
# audit and the real runners that install here from the package registries, on the fixtures of
# tests/layouts/: dbmate and node-pg-migrate (npm), diesel_cli (crates.io), sqitch (Debian).
# A database half-migrated by the runner, then audit validates a copy and deploys the rest, then
# the runner's own status says nothing is pending; and the other way round (audit first, then
# the runner applies only what audit did not). --apply with dbmate: the report names the files
# dbmate applied; deploy --apply refuses a changed pending file and deploys an unchanged one,
# recorded. sqitch: audit reads its registry (applied and pending changes).
#   tests/real_runners.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
use_server "$PORT"
ROOT=$PWD
W=$ROOT/target/real-runners; rm -rf "$W"; mkdir -p "$W"
build_tool || { echo "real-runners: 0 passed, 1 failed"; exit 1; }
AUDIT=$ROOT/$AUDIT
q() { "${P[@]}" -d "$1" -c "$2" 2>&1; }
N=$AUDIT_RUNNERS/npm/node_modules/.bin
DIESEL=$AUDIT_RUNNERS/diesel/bin/diesel
dbmate() { "$N/dbmate" --url "postgres://postgres@:$PORT/$1?socket=/tmp&sslmode=disable" --migrations-dir "$2" --no-dump-schema "${@:3}"; }
npm_migrate() { DATABASE_URL="postgres://postgres@localhost/$1?host=/tmp&port=$PORT" "$N/node-pg-migrate" up -m "$2" 2>&1; }
diesel() { "$DIESEL" migration "${@:3}" --database-url "$(db_url "$1")" --migration-dir "$2"; }
# the first migration of a fixture alone, in a folder of its own
first() { rm -rf "$W/first-$1"; mkdir -p "$W/first-$1"; cp -r "tests/layouts/$1/$2" "$W/first-$1/"; echo "$W/first-$1"; }
# audit validates a copy of $1, then deploys the folder $2 to $1
audit_deploy() {
  fresh_db "$1_copy" "$1"
  "$AUDIT" validate --db "$(db_url "$1_copy")" --migrations "$2" --skip-performance --out "$W/$1-s" -q >/dev/null 2>&1 || return 1
  "$AUDIT" deploy --db "$(db_url "$1")" --migrations "$2" --staging-report "$W/$1-s/report.json" --out "$W/$1-p" -q >/dev/null 2>&1
}

# --- the runner first, then audit
fresh_db rr_dbmate
dbmate rr_dbmate "$(first dbmate 20240101000001_items.sql)" up >/dev/null
audit_deploy rr_dbmate tests/layouts/dbmate; rc=$?
check_eq "dbmate then audit: audit deploys the two dbmate left" "$rc $(json "$W/rr_dbmate-p/report.json" "[x['outcome'] for x in d['files']]")" "0 ['skipped', 'applied', 'applied']"
check_eq "dbmate status: nothing pending" "$(dbmate rr_dbmate tests/layouts/dbmate status | grep -E '^(Applied|Pending)' | tr '\n' ' ')" "Applied: 3 Pending: 0 "

fresh_db rr_npm
npm_migrate rr_npm "$(first node-pg-migrate 1704067200001_items.sql)" >/dev/null
audit_deploy rr_npm tests/layouts/node-pg-migrate; rc=$?
check_eq "node-pg-migrate then audit: audit deploys the two it left" "$rc $(json "$W/rr_npm-p/report.json" "[x['outcome'] for x in d['files']]")" "0 ['skipped', 'applied', 'applied']"
check_has "node-pg-migrate up: nothing to run" "$(npm_migrate rr_npm tests/layouts/node-pg-migrate)" "No migrations to run"

fresh_db rr_diesel
diesel rr_diesel "$(first diesel 2024-01-01-000001_items)" run >/dev/null
audit_deploy rr_diesel tests/layouts/diesel; rc=$?
check_eq "diesel then audit: audit deploys the two diesel left" "$rc $(json "$W/rr_diesel-p/report.json" "[x['outcome'] for x in d['files']]")" "0 ['skipped', 'applied', 'applied']"
check_eq "diesel migration pending: false" "$(diesel rr_diesel tests/layouts/diesel pending 2>&1 | tail -1)" "false"

# --- audit first, then the runner applies only the rest
fresh_db rr_dbmate2
audit_deploy rr_dbmate2 "$(first dbmate 20240101000001_items.sql)"
out=$(dbmate rr_dbmate2 tests/layouts/dbmate up 2>&1); rc=$?
check_eq "audit then dbmate: dbmate applies only the two audit did not" "$rc $(echo "$out" | grep -c '^Applying:') $(echo "$out" | grep -c 'items.sql')" "0 2 0"
check_has "audit status: nothing pending after dbmate" "$("$AUDIT" status --db "$(db_url rr_dbmate2)" --migrations tests/layouts/dbmate | head -1)" ": 3 applied, 0 pending"

fresh_db rr_npm2
audit_deploy rr_npm2 "$(first node-pg-migrate 1704067200001_items.sql)"
out=$(npm_migrate rr_npm2 tests/layouts/node-pg-migrate); rc=$?
check_eq "audit then node-pg-migrate: it runs only the two audit did not" "$rc $(echo "$out" | grep -c '^> Migrating files:' ) $(echo "$out" | grep -c '^> - 17040672000')" "0 1 2"
check_has "audit status: nothing pending after node-pg-migrate" "$("$AUDIT" status --db "$(db_url rr_npm2)" --migrations tests/layouts/node-pg-migrate | head -1)" ": 3 applied, 0 pending"

fresh_db rr_diesel2
audit_deploy rr_diesel2 "$(first diesel 2024-01-01-000001_items)"
out=$(diesel rr_diesel2 tests/layouts/diesel run 2>&1); rc=$?
check_eq "audit then diesel: diesel runs only the two audit did not" "$rc $(echo "$out" | grep -c '^Running migration') $(echo "$out" | grep -c '000001_items')" "0 2 0"
check_has "audit status: nothing pending after diesel" "$("$AUDIT" status --db "$(db_url rr_diesel2)" --migrations tests/layouts/diesel | head -1)" ": 3 applied, 0 pending"
out=$(diesel rr_diesel2 tests/layouts/diesel revert --all 2>&1); rc=$?
check_eq "diesel reverts what audit applied, from its own table" "$rc $(echo "$out" | grep -c '^Rolling back migration') $(q rr_diesel2 "SELECT count(*) FROM __diesel_schema_migrations")" "0 3 0"

# --- --apply with dbmate: the report names what dbmate applied; deploy --apply behind the gate
D="$ROOT/tests/layouts/dbmate"
cmd="$N/dbmate --no-dump-schema --migrations-dir $W/apply up"
rm -rf "$W/apply"; cp -r "$D" "$W/apply"
fresh_db rr_apply_s; fresh_db rr_apply_p
dbmate rr_apply_s "$(first dbmate 20240101000001_items.sql)" up >/dev/null
dbmate rr_apply_p "$(first dbmate 20240101000001_items.sql)" up >/dev/null
out=$("$AUDIT" validate --db "$(db_url rr_apply_s)" --migrations "$W/apply" --apply "$cmd" --skip-performance --out "$W/apply-s" -q 2>&1); rc=$?
check_eq "validate --apply dbmate: proceeds" "$rc $(echo "$out" | grep -c '^PROCEED: 2 migration(s) applied')" "0 1"
check_eq "the report names the files dbmate applied" "$(json "$W/apply-s/report.json" "d['migrations']['runner_applied'], [f['file'] for f in d['lint']]")" "['20240101000002_note.sql', '20240101000010_index.sql'] ['20240101000002_note.sql', '20240101000010_index.sql']"
echo "-- changed" >> "$W/apply/20240101000002_note.sql"
out=$("$AUDIT" deploy --db "$(db_url rr_apply_p)" --migrations "$W/apply" --apply "$cmd" --staging-report "$W/apply-s/report.json" --out "$W/apply-p" -q 2>&1); rc=$?
check_has "deploy --apply refuses a changed pending file" "$rc $(echo "$out" | grep -A1 '^REFUSED' | tr '\n' ' ')" "^1 REFUSED.*20240101000002_note.sql was changed"
check_eq "and dbmate did not run" "$(q rr_apply_p "SELECT count(*) FROM schema_migrations")" "1"
cp "$D/20240101000002_note.sql" "$W/apply/"
out=$("$AUDIT" deploy --db "$(db_url rr_apply_p)" --migrations "$W/apply" --apply "$cmd" --staging-report "$W/apply-s/report.json" --out "$W/apply-p" -q 2>&1); rc=$?
check_eq "deploy --apply deploys the unchanged batch" "$rc $(echo "$out" | grep -c '^DEPLOYED: 2 migration(s) applied, 1 already applied')" "0 1"
check_eq "recorded in audit's deployment records" "$(q rr_apply_p "SELECT string_agg(file || ':' || outcome, ',' ORDER BY file) FROM audit_client.deployment_files")" "20240101000002_note.sql:applied,20240101000010_index.sql:applied"
out=$("$AUDIT" deploy --db "$(db_url rr_apply_p)" --migrations "$W/apply" --staging-report "$W/apply-s/report.json" --out "$W/apply-p2" -q 2>&1); rc=$?
check_has "deploy without the runner staging validated: refused" "$rc $(echo "$out" | grep -A1 '^REFUSED' | tr '\n' ' ')" "deploy with that runner (--apply"

# --- sqitch: audit reads its registry
SQ=(env SQITCH_FULLNAME=audit SQITCH_EMAIL=audit@example.com sqitch --chdir "$ROOT/tests/layouts/sqitch")
fresh_db rr_sqitch
"${SQ[@]}" deploy --to items "db:pg:rr_sqitch" >/dev/null 2>&1
check_has "sqitch deployed one change: audit status says 1 applied, 2 pending" "$("$AUDIT" status --db "$(db_url rr_sqitch)" --migrations tests/layouts/sqitch | head -1)" ": 1 applied, 2 pending, 0 changed; runner's table: sqitch.changes"
fresh_db rr_sqitch_s rr_sqitch
out=$("$AUDIT" validate --db "$(db_url rr_sqitch_s)" --migrations tests/layouts/sqitch --apply "sqitch --chdir $ROOT/tests/layouts/sqitch deploy db:pg:rr_sqitch_s" --skip-performance --out "$W/sq-s" -q 2>&1); rc=$?
check_eq "validate --apply sqitch: lints the pending changes only, and names what sqitch applied" "$rc $(json "$W/sq-s/report.json" "[f['file'] for f in d['lint']], d['migrations']['runner_applied']")" "0 ['deploy/note.sql', 'deploy/index.sql'] ['deploy/note.sql', 'deploy/index.sql']"

summary real-runners
