#!/usr/bin/env bash
# Live-server fuzz harness: N generated or mutated SQL strings through audit.lint(),
# audit.lint_json() and audit.statement_model(). Passes when the server never crashes, no Rust
# panic text reaches a client, and every rejection is an ERROR with a SQLSTATE from the
# expected classes. Crashing inputs are saved under target/fuzz-crashers/ (commit one to
# tests/fuzz/crashers/, which is replayed first on every run, once it is understood).
#   tests/fuzz/server.sh PORT [N] [SEED]
set -uo pipefail
cd "$(dirname "$0")/../.."
PORT=${1:?port}; N=${2:-100000}; SEED=${3:-20261125}   # a fixed seed: CI runs are repeatable
. "$(dirname "$0")/../../scripts/lib.sh"
DB=audit_fuzz
P=(psql -X -q -At -h /tmp -p "$PORT" -U postgres)
export PGOPTIONS="-c client_min_messages=warning"
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT; chmod 755 "$WORK"
echo "fuzz: $N inputs, seed $SEED"
python3 tests/fuzz/gen_inputs.py "$N" "$SEED" tests/corpus/*.sql migrations/*.sql > "$WORK/inputs.copy"
# earlier crashers are replayed first
for f in tests/fuzz/crashers/*.sql; do
  [ -f "$f" ] || continue
  python3 -c "import sys; s=open(sys.argv[1]).read(); print('-1\t' + s.replace('\\\\','\\\\\\\\').replace('\t','\\\\t').replace('\n','\\\\n').replace('\r','\\\\r'))" "$f" >> "$WORK/inputs.copy"
done
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
"${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 <<SQL >/dev/null
CREATE EXTENSION audit;
CREATE TABLE fuzz (id int, sql text);
CREATE TABLE outcome (id int, fn text, sqlstate text, message text);
\copy fuzz FROM '$WORK/inputs.copy'
SQL
pid_before=$(head -1 "$(ls -d /tmp/audit-*/data 2>/dev/null | head -1)/postmaster.pid" 2>/dev/null || echo "?")
# Each input in its own subtransaction; progress is committed so a crash loses nothing.
last=-2; crashes=0
while :; do
  "${P[@]}" -d "$DB" -c "
    DO \$\$
    DECLARE r record; n int := 0;
    BEGIN
      FOR r IN SELECT * FROM fuzz WHERE id > $last ORDER BY id LOOP
        BEGIN PERFORM count(*) FROM audit.lint(r.sql);
        EXCEPTION WHEN OTHERS THEN INSERT INTO outcome VALUES (r.id, 'lint', SQLSTATE, SQLERRM); END;
        IF r.id % 7 = 0 THEN
          BEGIN PERFORM audit.lint_json(r.sql);
          EXCEPTION WHEN OTHERS THEN INSERT INTO outcome VALUES (r.id, 'lint_json', SQLSTATE, SQLERRM); END;
          BEGIN PERFORM count(*) FROM audit.statement_model(r.sql);
          EXCEPTION WHEN OTHERS THEN INSERT INTO outcome VALUES (r.id, 'statement_model', SQLSTATE, SQLERRM); END;
        END IF;
        INSERT INTO outcome VALUES (r.id, 'done', NULL, NULL);
        n := n + 1;
        IF n % 2000 = 0 THEN COMMIT; END IF;
      END LOOP;
    END \$\$" >/dev/null 2>"$WORK/err.txt"
  rc=$?
  if [ $rc = 0 ]; then break; fi
  # the backend died: find the input, keep it as a crasher, go on after it
  sleep 2
  done_max=$("${P[@]}" -d "$DB" -c "SELECT coalesce(max(id), -2) FROM outcome WHERE fn = 'done'" 2>/dev/null || echo -2)
  next=$("${P[@]}" -d "$DB" -c "SELECT min(id) FROM fuzz WHERE id > $done_max" 2>/dev/null)
  [ -n "$next" ] || break
  crashes=$((crashes + 1))
  mkdir -p target/fuzz-crashers
  "${P[@]}" -d "$DB" -c "SELECT sql FROM fuzz WHERE id = $next" > "target/fuzz-crashers/seed$SEED-$next.sql"
  echo "CRASH on input $next (saved to target/fuzz-crashers/seed$SEED-$next.sql): $(head -c 300 "$WORK/err.txt")"
  last=$next
  [ $crashes -lt 20 ] || break
done
total=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM outcome WHERE fn = 'done'")
errors=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM outcome WHERE fn <> 'done'")
no_state=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM outcome WHERE fn <> 'done' AND (sqlstate IS NULL OR sqlstate = '')")
panics=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM outcome WHERE message ~* '(panick|unwrap\(\)|RUST_BACKTRACE|called .Option|index out of bounds)'")
# expected classes: syntax/access rule (42), data exception (22), program limit (54), resources (53)
odd=$("${P[@]}" -d "$DB" -c "SELECT string_agg(DISTINCT sqlstate || ' ' || left(message, 80), '; ') FROM outcome WHERE fn <> 'done' AND left(sqlstate, 2) NOT IN ('42', '22', '54', '53')")
echo "fuzz: $total inputs run, $errors rejected with an ERROR"
"${P[@]}" -d "$DB" -c "SELECT sqlstate, count(*) FROM outcome WHERE fn <> 'done' GROUP BY 1 ORDER BY 2 DESC" | sed 's/^/  sqlstate|count: /'
check "no backend crash ($crashes)" "$([ "$crashes" = 0 ]; echo $?)"
check "every input was run ($total of $(( N )) + replayed crashers)" "$([ "$total" -ge "$N" ]; echo $?)"
check "every rejection has a SQLSTATE ($no_state without)" "$([ "$no_state" = 0 ]; echo $?)"
check "no Rust panic text reached the client ($panics)" "$([ "$panics" = 0 ]; echo $?)"
check "only expected SQLSTATE classes 22/42/53/54 (${odd:-none other})" "$([ -z "$odd" ]; echo $?)"
"${P[@]}" -d postgres -c "DROP DATABASE $DB" >/dev/null
summary fuzz
