#!/usr/bin/env bash
# `audit trace`: the rehearsal from a client connection. First proven equal to audit.trace()
# in the same database (tests/trace_db.py: tests/trace.sh's scripts and the recipe batch);
# then, on a database without the extension: what it measures, a lock it cannot get (the
# blocker named), a statement that commits, a lost connection (stopped, nothing committed),
# bad input, and the database unchanged after every run.
#   tests/trace_db.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
build_tool
use_server "$PORT"
DB=audit_tracedb
FIXTURE=(-v ON_ERROR_STOP=1 -v recipes=50000 -c "SET audit.enforcement = off" -f tests/trace_fixture.sql)
fresh_db "$DB"
"${P[@]}" -d "$DB" -c "CREATE EXTENSION audit" "${FIXTURE[@]}" >/dev/null
"${P[@]}" -d "$DB" -c "VACUUM ANALYZE" >/dev/null

# 1. equal to audit.trace()
python3 tests/trace_db.py "$PORT" "$DB" "$AUDIT" > target/trace_db.txt 2>&1
rc=$?
grep -v '^ok ' target/trace_db.txt | head -40
check "$(tail -1 target/trace_db.txt)" "$rc"

# where the extension is installed, audit trace is audit.trace() there, with the triggers' verdicts
url=$(db_url "$DB")
out=$(echo "CREATE INDEX ON item (a);" | "$AUDIT" trace --db "$url" --format json - | python3 -c '
import json, sys; d = json.load(sys.stdin)
print(d["summary"]["rehearsal"], "|", d["statements"][0]["trigger"])')
check_eq "with the extension: audit.trace() in the database, with the trigger's verdict" "$out" "audit.trace() in the database | block"

# 2. a database without the extension (a managed service)
fresh_db "${DB}_plain"
"${P[@]}" -d "${DB}_plain" "${FIXTURE[@]}" >/dev/null
"${P[@]}" -d "${DB}_plain" -c "VACUUM ANALYZE" >/dev/null
url=$(db_url "${DB}_plain")
# the server's hook is loaded here (shared_preload_libraries): off for this role, as on a
# server without audit
export PGOPTIONS="-c client_min_messages=warning -c audit.enforcement=off"
fingerprint() {
  "$PG_BIN/pg_dump" -h /tmp -p "$PORT" -U postgres --schema-only "${DB}_plain" | grep -vE '^(--|\\(un)?restrict )'
  "${P[@]}" -d "${DB}_plain" -c "SELECT count(*), sum(hashtext(r::text)) FROM recipe r" -c "SELECT count(*) FROM item"
}
before=$(fingerprint)
j=$(printf '%s\n' "BEGIN;" "ALTER TABLE recipe ADD COLUMN notes text;" "UPDATE recipe SET servings = 2 WHERE id > 0;" \
  "SELECT pg_sleep(0.3);" "COMMIT;" "CREATE INDEX CONCURRENTLY recipe_title_idx ON recipe (title);" \
  "ALTER TABLE recipe ALTER COLUMN id TYPE bigint;" \
  | "$AUDIT" trace --db "$url" --format json --hold-threshold 100ms --autocommit -)
check_eq "without the extension: exit 1 on an error-severity finding" "$?" "1"
out=$(echo "$j" | python3 -c '
import json, sys
d = json.load(sys.stdin); s = {x["statement"]: x for x in d["statements"]}
lock = [l for l in s[2]["locks"] if l["mode"] == "AccessExclusiveLock"][0]
rules = sorted({f["rule"] for f in d["findings"] if f["measured"]})
print(d["summary"]["rehearsal"].split(" ")[0], lock["released_after"], lock["held_ms"] >= 300, s[3]["rows"],
      s[6]["outcome"], s[7]["rewritten"][0]["relation"], s[7]["rewritten"][0]["rows"], ",".join(rules))')
check_eq "without the extension: locks held to COMMIT, rows, stand-in, rewrite, measured rules" "$out" \
  "from 4 True 50000 stand-in public.recipe 50000 long-exclusive-lock,rewrites-table,scan-under-lock"
out=$("$AUDIT" trace --db "$url" --format markdown - <<< "ALTER TABLE recipe ALTER COLUMN id TYPE bigint;")
check_has "markdown: a table for the pull request" "$out" '^| 1 | 1 | ran |'
check_has "markdown: the measured rewrite" "$out" 'rewrites-table, measured'
out=$("$AUDIT" trace --db "$url" - <<< "DO \$\$ BEGIN COMMIT; END \$\$;")
check_has "a statement that commits: stopped with 2D000, and the note says why" "$out" 'error:     2D000'
check_has "... the note" "$out" 'a statement that commits'

# a lock it cannot get: 55P03 and the session in the way
"${P[@]}" -d "${DB}_plain" -c "BEGIN; SELECT count(*) FROM category; SELECT pg_sleep(4); COMMIT;" >/dev/null 2>&1 &
for _ in $(seq 50); do
  [ "$("${P[@]}" -d "${DB}_plain" -c "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'category' AND l.pid <> pg_backend_pid()")" -gt 0 ] && break
  sleep 0.1
done
j=$("$AUDIT" trace --db "$url" --format json --lock-timeout 200ms - <<< "ALTER TABLE category ADD COLUMN x int;")
check_eq "blocked: exit 1" "$?" "1"
out=$(echo "$j" | python3 -c '
import json, sys; d = json.load(sys.stdin); s = d["statements"][0]
print(s["outcome"], s["sqlstate"], "pg_sleep" in " ".join(s["blockers"]), any(f["rule"] == "lock-not-available" for f in d["findings"]))')
check_eq "blocked: lock timeout, 55P03, the blocker named, lock-not-available" "$out" "lock timeout 55P03 True True"
wait

# a lost connection stops the rehearsal, and nothing it ran is committed
out=$("$AUDIT" trace --db "$url" - 2>&1 <<< "CREATE TABLE lost (a int); SELECT pg_terminate_backend(pg_backend_pid());")
rc=$?
check_eq "connection lost: exit 2" "$rc" "2"
check_has "connection lost: one line says so" "$(echo "$out" | tail -1)" '^audit: the rehearsal stopped: the connection was lost.*nothing it ran was committed'

# bad input
out=$("$AUDIT" trace --db "$url" - 2>&1 <<< "ALTER TABLE recipe ADD COLUM x int;")
check_eq "a syntax error: exit 2" "$?" "2"
check_has "a syntax error: the line" "$out" 'line 1: syntax error'
out=$("$AUDIT" trace --db "$url" /nonexistent.sql 2>&1)
check_eq "a missing file: exit 2" "$?" "2"
out=$("$AUDIT" trace --db "postgresql://postgres:s3cret@/${DB}_plain?host=/tmp&port=1" - 2>&1 <<< "SELECT 1;")
check_eq "no server: exit 2" "$?" "2"
check "no server: the password is not shown ($out)" "$(echo "$out" | grep -qv s3cret; echo $?)"

check_eq "the database is unchanged after every rehearsal" "$(fingerprint | md5sum)" "$(echo "$before" | md5sum)"
check_eq "no table of the lost rehearsal" "$("${P[@]}" -d "${DB}_plain" -c "SELECT count(*) FROM pg_class WHERE relname = 'lost'")" "0"

"${P[@]}" -d postgres -c "DROP DATABASE $DB" -c "DROP DATABASE ${DB}_plain" >/dev/null
summary trace-db
