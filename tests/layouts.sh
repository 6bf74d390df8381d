#!/usr/bin/env bash
# Every runner's layout (tests/layouts/<format>/, written from each runner's documentation: up
# and down parts, a no-transaction migration, V10 after V2) through the tool against a live
# server without the extension: validate on a staging database and deploy to a production one
# apply exactly the forward parts in the runner's order and write the runner's history rows as
# the runner would; a second deploy finds nothing pending; `audit status` agrees; rollback runs
# the down parts and takes the rows out. Also: the up-drops/down-re-adds file (nothing of its
# down part runs; staging defers on the drop at the levels that say so), a wrapped file that
# fails half-way (nothing of it stays, no row), CONCURRENTLY where the runner wraps a
# transaction, and bad input (an unknown format, a format that does not match the folder, a
# runner table in a shape the runner never wrote: one line, exit 2, nothing applied).
#   tests/layouts.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
use_server "$PORT"
ROOT=$PWD
W=$ROOT/target/layouts; rm -rf "$W"; mkdir -p "$W"
build_tool || { echo "layouts: 0 passed, 1 failed"; exit 1; }
AUDIT=$ROOT/$AUDIT
q() { "${P[@]}" -d "$1" -c "$2" 2>&1; }

# the runner's rows, as one line
rows() {
  case "$1" in
    golang-migrate) q "$2" "SELECT version || ':' || dirty FROM schema_migrations" ;;
    goose) q "$2" "SELECT string_agg(version_id || ':' || is_applied, ',' ORDER BY id) FROM goose_db_version" ;;
    dbmate) q "$2" "SELECT string_agg(version, ',' ORDER BY version) FROM schema_migrations" ;;
    flyway) q "$2" "SELECT string_agg(installed_rank || ':' || coalesce(version, 'R') || ':' || description || ':' || script || ':' || type || ':' || success, ',' ORDER BY installed_rank) FROM flyway_schema_history" ;;
    diesel) q "$2" "SELECT string_agg(version, ',' ORDER BY version) FROM __diesel_schema_migrations" ;;
    prisma) q "$2" "SELECT string_agg(migration_name || ':' || left(checksum, 12) || ':' || (finished_at IS NOT NULL) || ':' || applied_steps_count, ',' ORDER BY migration_name) FROM _prisma_migrations" ;;
    node-pg-migrate) q "$2" "SELECT string_agg(name, ',' ORDER BY id) FROM pgmigrations" ;;
    plain) q "$2" "SELECT string_agg(file, ',' ORDER BY file) FROM audit_client.applied_migrations" ;;
  esac
}
sha() { sha256sum "$1" | cut -c1-12; }
declare -A WANT=(
  [golang-migrate]="10:false"
  [goose]="0:true,1:true,2:true,10:true"
  [dbmate]="20240101000001,20240101000002,20240101000010"
  [flyway]="1:1:items:V1__items.sql:SQL:true,2:2:note:V2__note.sql:SQL:true,3:10:index:V10__index.sql:SQL:true,4:R:item names:R__item_names.sql:SQL:true"
  [diesel]="20240101000001,20240101000002,20240101000010"
  [prisma]="20240101000001_items:$(sha tests/layouts/prisma/20240101000001_items/migration.sql):true:1,20240101000002_note:$(sha tests/layouts/prisma/20240101000002_note/migration.sql):true:1,20240101000010_index:$(sha tests/layouts/prisma/20240101000010_index/migration.sql):true:1"
  [node-pg-migrate]="1704067200001_items,1704067200002_note,1704067200010_labels"
  [plain]="0001_items.sql,0002_note.sql,0010_index.sql"
)
declare -A INDEX=([node-pg-migrate]=labels_item_id_idx)
declare -A ORDER=(
  [golang-migrate]="000001_items.up.sql 000002_note.up.sql 000010_index.up.sql"
  [flyway]="V1__items.sql V2__note.sql V10__index.sql R__item_names.sql"
  [diesel]="2024-01-01-000001_items/up.sql 2024-01-01-000002_note/up.sql 2024-01-01-000010_index/up.sql"
)

for f in golang-migrate goose dbmate flyway diesel prisma node-pg-migrate plain; do
  s=audit_layout_s; p=audit_layout_p
  fresh_db $s; fresh_db $p
  out=$("$AUDIT" validate --db "$(db_url $s)" --migrations "tests/layouts/$f" --skip-performance --out "$W/$f-s" -q 2>&1); rc=$?
  check_eq "$f: validate proceeds" "$rc $(echo "$out" | grep -c '^PROCEED')" "0 1"
  check_eq "$f: the report says the detected format" "$(json "$W/$f-s/report.json" "d['migrations']['format'], d['migrations']['detected']")" "$f True"
  check_has "$f: and shows it in the text" "$out" "^== Migrations (tests/layouts/$f, $f, detected; 0 applied, "
  if [ -n "${ORDER[$f]:-}" ]; then
    check_eq "$f: applied in the runner's order" "$(json "$W/$f-s/report.json" "' '.join(x['name'] for x in d['files'])")" "${ORDER[$f]}"
  fi
  [ $f = plain ] || check_eq "$f: staging has the runner's rows" "$(rows $f $s)" "${WANT[$f]}"
  out=$("$AUDIT" deploy --db "$(db_url $p)" --migrations "tests/layouts/$f" --staging-report "$W/$f-s/report.json" --out "$W/$f-p" -q 2>&1); rc=$?
  check_eq "$f: deploy deploys" "$rc $(echo "$out" | grep -c '^DEPLOYED')" "0 1"
  # a down part run forward would have dropped items, its note column or the index
  check_eq "$f: no down part ran (items, its note, the index)" \
    "$(q $p "SELECT (SELECT count(*) FROM items), (SELECT count(*) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'note'), to_regclass('${INDEX[$f]:-items_name_idx}') IS NOT NULL")" "3|1|t"
  check_eq "$f: production has the runner's rows as the runner writes them" "$(rows $f $p)" "${WANT[$f]}"
  out=$("$AUDIT" deploy --db "$(db_url $p)" --migrations "tests/layouts/$f" --staging-report "$W/$f-s/report.json" --out "$W/$f-p2" -q 2>&1); rc=$?
  check_eq "$f: a second deploy finds nothing pending" "$rc $(json "$W/$f-p2/report.json" "d['migrations']['pending'], [x['outcome'] for x in d['files']].count('applied')")" "0 [] 0"
  out=$("$AUDIT" status --db "$(db_url $p)" --migrations "tests/layouts/$f" 2>&1); rc=$?
  check_has "$f: audit status: all applied, none pending" "$rc $(echo "$out" | head -1)" "^0 .*: [34] applied, 0 pending, 0 changed"
  if [ "$f" = prisma ]; then
    out=$("$AUDIT" rollback --db "$(db_url $p)" --migrations "tests/layouts/$f" --out "$W/$f-rb" -q 2>&1); rc=$?
    check_has "prisma: no rollback (Prisma has no down migrations): one line, exit 2" "$(one_line $rc "$out") $out" "^0 .*Prisma has no down migrations"
    continue
  fi
  out=$("$AUDIT" rollback --db "$(db_url $p)" --migrations "tests/layouts/$f" --out "$W/$f-rb" -q 2>&1); rc=$?
  [ "$f" = flyway ] && want_rb="3 0" || want_rb="0 0"
  if [ "$f" = flyway ]; then
    # Flyway's repeatable has no undo: the rollback refuses before anything runs
    check_has "flyway: rollback refuses where a migration has no undo file" "$(one_line $rc "$out") $out" "^0 .*R__item_names.sql.*U<version>"
    continue
  fi
  check_eq "$f: rollback runs the down parts" "$rc $(q $p "SELECT count(*) FROM pg_class WHERE relname IN ('items', 'tags', 'labels')")" "$want_rb"
  case $f in
    golang-migrate|plain) check_eq "$f: and the runner's table says nothing is applied" "$(rows $f $p)" "" ;;
    goose) check_eq "goose: and its table keeps only version 0" "$(rows $f $p)" "0:true" ;;
    *) check_eq "$f: and the runner's rows are gone" "$(rows $f $p)" "" ;;
  esac
done

# golang-migrate's table after a rollback of the last migration only: back to version 2
fresh_db audit_layout_g
mkdir -p "$W/gm"; cp tests/layouts/golang-migrate/00000[12]* "$W/gm/"
"$AUDIT" validate --db "$(db_url audit_layout_g)" --migrations "$W/gm" --skip-performance --out "$W/gm-s" -q >/dev/null 2>&1
cp tests/layouts/golang-migrate/000010* "$W/gm/"
"$AUDIT" validate --db "$(db_url audit_layout_g)" --migrations "$W/gm" --skip-performance --out "$W/gm-s2" -q >/dev/null 2>&1; rc=$?
check_eq "golang-migrate: validate on a database at version 2 applies only 10" "$rc $(json "$W/gm-s2/report.json" "d['migrations']['applied'], d['migrations']['pending']")" "0 ['000001_items.up.sql', '000002_note.up.sql'] ['000010_index.up.sql']"
check_eq "golang-migrate: its table says 10" "$(rows golang-migrate audit_layout_g)" "10:false"
"${P[@]}" -d audit_layout_g -c "UPDATE schema_migrations SET dirty = true" >/dev/null
out=$("$AUDIT" status --db "$(db_url audit_layout_g)" --migrations "$W/gm" 2>&1); rc=$?
check_has "golang-migrate: a dirty version is a problem (status exit 1)" "$rc $(echo "$out" | grep problem)" "^1 problem: schema_migrations says version 10 is dirty"

# the file that drops a column in its up part and re-adds it in its down part (dbmate, goose)
for f in dbmate goose; do
  d=$W/drop-$f; mkdir -p "$d"; cp tests/layouts/$f/*items.sql "$d/"
  if [ $f = dbmate ]; then
    printf -- '-- migrate:up\nALTER TABLE items DROP COLUMN name;\n\n-- migrate:down\nALTER TABLE items ADD COLUMN name text;\n' > "$d/20240101000002_drop_name.sql"
  else
    printf -- '-- +goose Up\nALTER TABLE items DROP COLUMN name;\n\n-- +goose Down\nALTER TABLE items ADD COLUMN name text;\n' > "$d/00002_drop_name.sql"
  fi
  fresh_db audit_layout_d
  "$AUDIT" validate --db "$(db_url audit_layout_d)" --migrations "$d" --skip-performance --out "$W/drop-$f" -q --rule-level drop-column=error >/dev/null 2>&1; rc=$?
  check_eq "$f: up drops, down re-adds: staging defers on the drop (drop-column=error)" "$rc $(json "$W/drop-$f/report.json" "any('drop-column' in b for b in d['blockers'])")" "1 True"
  fresh_db audit_layout_d
  "$AUDIT" validate --db "$(db_url audit_layout_d)" --migrations "$d" --skip-performance --out "$W/drop-$f-2" -q >/dev/null 2>&1; rc=$?
  check_eq "$f: at the default levels it proceeds and the column stays dropped (the down part never ran)" \
    "$rc $(q audit_layout_d "SELECT count(*) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'name' AND NOT attisdropped")" "0 0"
done

# a wrapped migration that fails half-way: nothing of it stays, and no row says it ran
d=$W/fail; mkdir -p "$d"; cp tests/layouts/dbmate/*items.sql "$d/"
printf -- '-- migrate:up\nALTER TABLE items ADD COLUMN price int;\nINSERT INTO items VALUES (1, %s);\n\n-- migrate:down\nALTER TABLE items DROP COLUMN price;\n' "'dup'" > "$d/20240101000002_price.sql"
fresh_db audit_layout_f
out=$("$AUDIT" validate --db "$(db_url audit_layout_f)" --migrations "$d" --skip-performance --out "$W/fail" -q 2>&1); rc=$?
check_eq "dbmate: a migration failing on its second statement defers" "$rc $(json "$W/fail/report.json" "[x['outcome'] for x in d['files']]")" "1 ['applied', 'failed']"
check_has "the text shows the error's DETAIL" "$(echo "$out" | grep '20240101000002_price.sql  *failed')" 'duplicate key value violates unique constraint "items_pkey" (SQLSTATE 23505); DETAIL: Key (id)=(1) already exists'
check_eq "dbmate: its first statement was rolled back with it, and its row not written" \
  "$(q audit_layout_f "SELECT (SELECT count(*) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'price'), (SELECT string_agg(version, ',') FROM schema_migrations)")" "0|20240101000001"
# goose wraps a file in a transaction unless it says NO TRANSACTION: CONCURRENTLY is an error
d=$W/conc; mkdir -p "$d"; cp tests/layouts/goose/00001_items.sql "$d/"
printf -- '-- +goose Up\nCREATE INDEX CONCURRENTLY items_name_idx ON items (name);\n-- +goose Down\nDROP INDEX items_name_idx;\n' > "$d/00002_index.sql"
out=$("$AUDIT" lint "$d" 2>&1); rc=$?
check_has "goose: CONCURRENTLY in goose's transaction is an error in the lint" "$rc $out" "^1 .*00002_index.sql:2: concurrent-in-transaction"
out=$("$AUDIT" lint tests/layouts/goose 2>&1); rc=$?
check_eq "goose: under NO TRANSACTION it is not" "$rc $(echo "$out" | grep -c concurrent-in-transaction)" "0 0"

# bad input: one line, exit 2, nothing applied
fresh_db audit_layout_b
out=$("$AUDIT" validate --db "$(db_url audit_layout_b)" --migrations tests/layouts/dbmate --format liquibase -q 2>&1); rc=$?
check_has "an unknown format: one line, exit 2" "$(one_line $rc "$out") $out" "^0 audit: unknown migrations format \"liquibase\": use one of auto, plain"
out=$("$AUDIT" validate --db "$(db_url audit_layout_b)" --migrations tests/layouts/dbmate --format flyway -q 2>&1); rc=$?
check_has "a format that does not match the folder: one line, exit 2" "$(one_line $rc "$out") $out" "^0 audit: no flyway migrations in tests/layouts/dbmate"
"${P[@]}" -d audit_layout_b -c "CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz)" >/dev/null
out=$("$AUDIT" validate --db "$(db_url audit_layout_b)" --migrations tests/layouts/golang-migrate --skip-performance --out "$W/bad" -q 2>&1); rc=$?
check_has "a runner table in a shape the runner never wrote: one line, exit 2" "$(one_line $rc "$out") $out" "^0 audit: schema_migrations is not golang-migrate's history table: it has no column dirty"
check_eq "and nothing was applied" "$(q audit_layout_b "SELECT to_regclass('items') IS NULL")" "t"
d=$W/marker; mkdir -p "$d"; printf -- '-- migrate:up\nCREATE TABLE x (id int);\n-- migrate:rollback\nDROP TABLE x;\n' > "$d/1_x.sql"
out=$("$AUDIT" validate --db "$(db_url audit_layout_b)" --migrations "$d" -q 2>&1); rc=$?
check_has "an unrecognised down marker: refused with its line" "$(one_line $rc "$out") $out" "^0 audit: .*1_x.sql: line 3: \"-- migrate:rollback\""
out=$("$AUDIT" validate --db "$(db_url audit_layout_b)" --migrations tests/layouts/sqitch --skip-performance --out "$W/sq" -q 2>&1); rc=$?
check_has "sqitch without --apply: a blocker that says to use the runner" "$rc $(json "$W/sq/report.json" "d['blockers'][0]")" "^1 audit does not write sqitch's registry"

# a Flyway migration changed since it was applied: its checksum in flyway_schema_history differs
d=$W/fw; cp -r tests/layouts/flyway "$d"; echo "-- edited" >> "$d/V1__items.sql"
fresh_db audit_layout_fw
"$AUDIT" validate --db "$(db_url audit_layout_fw)" --migrations tests/layouts/flyway --skip-performance --out "$W/fw-s" -q >/dev/null 2>&1
out=$("$AUDIT" status --db "$(db_url audit_layout_fw)" --migrations "$d" 2>&1); rc=$?
check_has "flyway: a changed applied file is named with both checksums (status exit 1)" "$rc $(echo "$out" | grep problem)" "^1 problem: V1__items.sql was applied with checksum -\?[0-9]* in flyway_schema_history and has changed since (now -\?[0-9]*)"
# the repeatable changed: pending again, as Flyway re-applies it
sed -i 's/SELECT id, name/SELECT id, name, note/' "$d/R__item_names.sql"; cp tests/layouts/flyway/V1__items.sql "$d/"
check_has "flyway: a changed repeatable is pending again" "$("$AUDIT" status --db "$(db_url audit_layout_fw)" --migrations "$d" | grep R__)" "R__item_names.sql  *pending"

# audit.toml: found from the working folder upward; flags override it; a bad key is one line
d=$W/project; mkdir -p "$d/app/sub"; cp -r tests/layouts/dbmate "$d/app/db"
printf '[migrations]\nfolder = "db"\nformat = "goose"\n[rules]\ndrop-column = "error"\n' > "$d/app/audit.toml"
out=$(cd "$d/app/sub" && "$AUDIT" config 2>&1)
check_has "audit config names the file each setting came from" "$(echo "$out" | grep '^migrations.format')" "^migrations.format = \"goose\"  # audit.toml ($d/app/audit.toml)"
out=$(cd "$d/app/sub" && "$AUDIT" status --db "$(db_url audit_layout_b)" 2>&1); rc=$?
check_has "audit.toml's format is used (goose, wrong for this folder: one line, exit 2)" "$(one_line $rc "$out") $out" "^0 audit: .*db/20240101000001_items.sql: line 2: SQL before the up marker: goose"
out=$(cd "$d/app/sub" && "$AUDIT" status --db "$(db_url audit_layout_b)" --format dbmate 2>&1); rc=$?
check_has "--format overrides it" "$rc $out" "^0 $d/app/db (dbmate) on .*: 0 applied, 3 pending"
printf '[migrations]\nfolder = "db"\ndirectory = "x"\n' > "$d/app/audit.toml"
out=$(cd "$d/app/sub" && "$AUDIT" status --db "$(db_url audit_layout_b)" 2>&1); rc=$?
check_has "a bad key in audit.toml: one line naming it and the file, exit 2" "$(one_line $rc "$out") $out" "^0 audit: $d/app/audit.toml: unknown key \"migrations.directory\""

summary layouts
