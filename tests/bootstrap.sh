#!/usr/bin/env bash
# A project's schema built from its first migration on a preloaded cluster, with enforcement
# on and no override: 100 generated migrations that create tables and index them in the same
# file, change tables earlier files created while they are still empty (index, SET NOT NULL,
# CHECK, a rewriting type change, a foreign key), and fill small lookup tables and index them.
# Each file runs as psql runs it (statement by statement, its own session) as an ordinary
# role. Every file applies, the ledger has no override; `audit lint --db` on the empty
# database finds no error (the offline lint, which cannot know the tables are empty, does);
# `audit validate` applies the 100 on another empty database; and a real risk (an index on a
# populated table) is still refused.
#   tests/bootstrap.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
build_tool
use_server "$PORT"
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
M=$W/migrations; mkdir -p "$M"
N=100

# the history: five kinds of file, in turn
for i in $(seq 1 $N); do
  k=$(( (i - 1) / 5 )); f=$(printf '%s/%03d_step.sql' "$M" "$i")
  case $(( (i - 1) % 5 )) in
    0) cat > "$f" <<SQL
CREATE TABLE t$k (id bigint PRIMARY KEY, a int, b text, parent_id bigint,
                  created_at timestamptz NOT NULL DEFAULT now());
CREATE INDEX t${k}_a_idx ON t$k (a);
CREATE UNIQUE INDEX t${k}_b_key ON t$k (b);
SQL
      ;;
    1) cat > "$f" <<SQL
ALTER TABLE t$k ALTER COLUMN b SET NOT NULL;
ALTER TABLE t$k ADD CONSTRAINT t${k}_a_positive CHECK (a > 0);
ALTER TABLE t$k ALTER COLUMN a TYPE bigint;
CREATE INDEX t${k}_created_idx ON t$k (created_at);
SQL
      ;;
    2) if [ "$k" -gt 0 ]; then
         echo "ALTER TABLE t$k ADD CONSTRAINT t${k}_parent_fk FOREIGN KEY (parent_id) REFERENCES t$((k - 1)) (id);" > "$f"
       else
         echo "ALTER TABLE t$k ADD CONSTRAINT t${k}_parent_fk FOREIGN KEY (parent_id) REFERENCES t$k (id);" > "$f"
       fi
       echo "CREATE INDEX t${k}_parent_idx ON t$k (parent_id);" >> "$f"
      ;;
    3) cat > "$f" <<SQL
BEGIN;
CREATE TABLE kind$k (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO kind$k SELECT g, 'kind ' || g FROM generate_series(1, 20) g;
CREATE UNIQUE INDEX kind${k}_name_key ON kind$k (name);
COMMIT;
ANALYZE kind$k;
SQL
      ;;
    4) cat > "$f" <<SQL
SET lock_timeout = '2s';
CREATE INDEX kind${k}_lower_idx ON kind$k (lower(name));
ALTER TABLE kind$k ADD CONSTRAINT kind${k}_name_short CHECK (length(name) < 100);
ALTER TABLE t$k ADD COLUMN kind_id int REFERENCES kind$k (id);
SQL
      ;;
  esac
done

DB=audit_boot
fresh_db $DB
"${P[@]}" -d $DB >/dev/null <<'SQL'
CREATE EXTENSION audit;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'boot_app') THEN CREATE ROLE boot_app LOGIN; END IF;
END $$;
SQL
"${P[@]}" -d $DB -c "GRANT CREATE ON DATABASE $DB TO boot_app" -c "GRANT CREATE, USAGE ON SCHEMA public TO boot_app" >/dev/null
check_eq "the applying role may not override" \
  "$("${P[@]}" -d $DB -c "SELECT pg_has_role('boot_app', 'audit_admin', 'MEMBER')")" "f"

# audit lint --db on the empty database, before anything ran: the batch's new tables are empty
"$AUDIT" lint --db "$(db_url $DB)" --format json "$M" > "$W/lint-db.json" 2>"$W/lint-db.err"; rc=$?
# (the batch's new tables filled by an earlier file have an unknown size until they are there:
# errors in the files that index them, which validate judges again as they run)
filled='int(f["file"][-12:-9]) % 5 == 0'
check_eq "lint --db on the empty database: errors only where an earlier file filled the table (exit 1)" "$rc" "1"
check_eq "lint --db: no error in the files that change the batch's empty tables" \
  "$(json "$W/lint-db.json" "sum(x['severity'] == 'error' for f in d['files'] if not ($filled) for x in f['findings'])")" "0"
check_eq "lint --db: an error in each file that indexes a table an earlier file filled" \
  "$(json "$W/lint-db.json" "sum(any(x['severity'] == 'error' for x in f['findings']) for f in d['files'] if $filled)")" "20"
"$AUDIT" lint --format json "$M" > "$W/lint.json" 2>/dev/null
check "offline lint: cannot know the tables are empty, flags the later files" \
  "$([ "$(json "$W/lint.json" 'sum(x["severity"] == "error" for f in d["files"] for x in f["findings"])')" -gt 0 ]; echo $?)"

# every file as psql runs it, as the ordinary role
applied=0; first_failure=
for f in "$M"/*.sql; do
  if out=$(PGOPTIONS= psql -X -q -At -h /tmp -p "$PORT" -U boot_app -d $DB -v ON_ERROR_STOP=1 -f "$f" 2>&1); then
    applied=$((applied + 1))
  else
    [ -n "$first_failure" ] || first_failure="$(basename "$f"): $(echo "$out" | grep -m1 ERROR)"
    break
  fi
done
check_eq "enforcement on: every migration applies" "$applied" "$N"
[ -z "$first_failure" ] || echo "    first failure: $first_failure"
check_eq "enforcement was on" "$("${P[@]}" -d $DB -c "SHOW audit.enforcement")" "block"
check_eq "the ledger has no override and no allowance" \
  "$("${P[@]}" -d $DB -c "SELECT count(*) FROM audit.ddl_log WHERE action IN ('override', 'allow')")" "0"
check_eq "the schema is there: tables and indexes" \
  "$("${P[@]}" -d $DB -c "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'") $("${P[@]}" -d $DB -c "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public'")" \
  "40 160"

# a real risk is still refused: an index on a populated table
"${P[@]}" -d $DB -c "SET audit.enforcement = off" -c "INSERT INTO t0 (id, a, b) SELECT g, g, 'b' || g FROM generate_series(1, 20000) g" -c "ANALYZE t0" >/dev/null
r=$(PGOPTIONS= psql -X -q -At -h /tmp -p "$PORT" -U boot_app -d $DB -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
    -c "\set VERBOSITY verbose" -c "CREATE INDEX t0_b_idx ON t0 (b)" 2>&1)
check_has "a populated table's index is refused (42501)" "$r" "ERROR:  42501: audit: CREATE INDEX without CONCURRENTLY"
check_has "its DETAIL gives the table's size" "$r" "about 20000 rows"
r=$(PGOPTIONS= psql -X -q -At -h /tmp -p "$PORT" -U boot_app -d $DB -c "ALTER TABLE t0 ALTER COLUMN a TYPE int" 2>&1)
check_has "a populated table's rewrite is refused" "$(echo "$r" | grep ERROR)" "rewrites table"

# audit validate applies the same history to another empty database
V=audit_boot_staging
fresh_db $V
"${P[@]}" -d $V -c "CREATE EXTENSION audit" >/dev/null
"$AUDIT" validate --db "$(db_url $V)" --migrations "$M" --skip-performance --out "$W/validate" -q \
  > "$W/validate.txt" 2>&1; rc=$?
check_eq "validate on an empty database: proceeds (exit 0)" "$rc" "0"
[ "$rc" = 0 ] || sed -n '1,40s/^/    /p' "$W/validate.txt"
R=$W/validate/report.json
check_eq "validate: every migration applied" \
  "$(json "$R" 'sum(f["outcome"] == "applied" for f in d["files"])')" "$N"
check_eq "validate: no lint error" \
  "$(json "$R" 'sum(x["severity"] == "error" for l in d["lint"] for x in l["findings"])')" "0"
# (audit.lint_json() in the database, before anything ran, finds the batch's tables missing:
# every file that changes them is judged again as it runs, 60 of them)
check_eq "validate: the files that change the batch's tables were judged as they ran" \
  "$(json "$R" 'sum(l.get("judged") == "before it ran" for l in d["lint"])')" "60"

# the same on managed PostgreSQL (no extension: the tool lints, and its lint is blocking), then
# deployed to an empty production from that staging report
MS=audit_boot_mstaging; MP=audit_boot_mprod
fresh_db $MS; fresh_db $MP
"$AUDIT" validate --db "$(db_url $MS)" --migrations "$M" --skip-performance --out "$W/mvalidate" -q \
  > "$W/mvalidate.txt" 2>&1; rc=$?
check_eq "managed: validate on an empty database proceeds (exit 0)" "$rc" "0"
[ "$rc" = 0 ] || grep -m5 -E 'lint:|migration failed' "$W/mvalidate.txt" | sed 's/^/    /'
R=$W/mvalidate/report.json
check_eq "managed: every migration applied" "$(json "$R" 'sum(f["outcome"] == "applied" for f in d["files"])')" "$N"
check_eq "managed: only the files that index the filled tables were judged as they ran" \
  "$(json "$R" 'sum(l.get("judged") == "before it ran" for l in d["lint"])')" "20"
"$AUDIT" deploy --db "$(db_url $MP)" --migrations "$M" --staging-report "$R" --out "$W/mprod" -q \
  > "$W/mprod.txt" 2>&1; rc=$?
check_eq "managed: deploy to an empty production proceeds (exit 0)" "$rc" "0"
[ "$rc" = 0 ] || grep -m5 -E 'lint:|migration failed|audit:' "$W/mprod.txt" | sed 's/^/    /'
check_eq "managed: deploy applied every migration, judging the same 20 as they ran" \
  "$(json "$W/mprod/report.json" 'sum(f["outcome"] == "applied" for f in d["files"])') $(json "$W/mprod/report.json" 'sum(l.get("judged") == "before it ran" for l in d["lint"])')" \
  "$N 20"
# a file that indexes a table an earlier file filled with more than a small table's rows is
# judged as it runs, refused, and nothing after it runs
fresh_db $MS
cp -r "$M" "$W/big"; sed -i 's/generate_series(1, 20)/generate_series(1, 5000)/' "$W/big/004_step.sql"
"$AUDIT" validate --db "$(db_url $MS)" --migrations "$W/big" --skip-performance --out "$W/bvalidate" -q \
  > /dev/null 2>&1; rc=$?
R=$W/bvalidate/report.json
check_eq "managed: a populated table's index, judged as it runs, defers (exit 1)" "$rc" "1"
check_eq "managed: applied up to it, not it and nothing after" \
  "$(json "$R" 'sum(f["outcome"] == "applied" for f in d["files"])') $(json "$R" '[f["outcome"] for f in d["files"]][4:6]')" \
  "4 ['not run', 'not run']"
check_has "managed: its blocker is the lint's" \
  "$(json "$R" '"; ".join(d["blockers"])')" "lint: 005_step.sql:2: require-concurrent-index"

"${P[@]}" -d postgres -c "DROP DATABASE $DB" -c "DROP DATABASE $V" -c "DROP DATABASE $MS" -c "DROP DATABASE $MP" >/dev/null
summary bootstrap
