#!/usr/bin/env bash
# Several clients running DML and DDL at once with the triggers on (pgbench, custom script):
# refused statements, warned statements (ledger rows), allowed DDL on new tables, concurrent
# index builds, and plain DML. Passes when pgbench sees no failed transaction (no deadlock
# introduced by audit), no backend crashed, and the ledger holds exactly one row per warned
# statement that committed.
#   tests/concurrency.sh PORT [CLIENTS] [SECONDS]
set -uo pipefail
PORT=${1:?port}; CLIENTS=${2:-8}; SECONDS_RUN=${3:-20}
. "$(dirname "$0")/../scripts/lib.sh"
DB=audit_concurrency
BIN=$PG_BIN
use_server "$PORT" error; P+=(-v ON_ERROR_STOP=1)
W=$(mktemp); trap 'rm -f "$W"' EXIT
fresh_db "$DB"
"${P[@]}" -d "$DB" >/dev/null <<SQL
CREATE EXTENSION audit;
CREATE TABLE account (id int PRIMARY KEY, balance bigint NOT NULL DEFAULT 0);
INSERT INTO account SELECT g, 0 FROM generate_series(1, 1000) g;
CREATE TABLE counter (rule text PRIMARY KEY, n bigint NOT NULL);
INSERT INTO counter VALUES ('drop-column', 0), ('refused', 0);
DO \$\$ BEGIN FOR c IN 0..$((CLIENTS - 1)) LOOP
  EXECUTE format('CREATE TABLE scratch_%s (id int, x int)', c);
END LOOP; END \$\$;
SQL
cat > "$W" <<'SQL'
\set aid random(1, 1000)
\set r random(1, 100)
BEGIN;
UPDATE account SET balance = balance + 1 WHERE id = :aid;
\if :r <= 20
-- warned: drop-column on an existing table; the ledger row commits with the change
ALTER TABLE scratch_:client_id ADD COLUMN IF NOT EXISTS y int;
ALTER TABLE scratch_:client_id DROP COLUMN y;
UPDATE counter SET n = n + 1 WHERE rule = 'drop-column';
\elif :r <= 40
-- refused: a non-concurrent index on an existing table, caught in the transaction
DO $$ BEGIN EXECUTE 'CREATE INDEX ON account (balance)';
EXCEPTION WHEN insufficient_privilege THEN UPDATE counter SET n = n + 1 WHERE rule = 'refused'; END $$;
\elif :r <= 60
-- allowed: DDL on a table created in this transaction
CREATE TABLE tmp_:client_id (id int);
CREATE INDEX ON tmp_:client_id (id);
ALTER TABLE tmp_:client_id ALTER COLUMN id TYPE bigint;
DROP TABLE tmp_:client_id;
\else
SELECT sum(balance) FROM account WHERE id BETWEEN :aid AND :aid + 10;
\endif
COMMIT;
SQL
"$BIN/pgbench" -n -h /tmp -p "$PORT" -U postgres -c "$CLIENTS" -j 2 -T "$SECONDS_RUN" -f "$W" "$DB" > "$W.out" 2>&1
rc=$?
grep -E "number of transactions actually processed|number of failed|tps" "$W.out" | sed 's/^/  /'
check "pgbench finished without errors (rc $rc)" "$rc"
failed=$(sed -n 's/.*number of failed transactions: \([0-9]*\).*/\1/p' "$W.out"); failed=${failed:-0}
check "no failed transaction (deadlock or error): $failed" "$([ "$failed" = 0 ]; echo $?)"
aborted=$(grep -c "aborted in command\|client .* aborted" "$W.out")
check "no client aborted ($aborted)" "$([ "$aborted" = 0 ]; echo $?)"
alive=$("${P[@]}" -d "$DB" -c "SELECT 1")
check "server alive" "$([ "$alive" = 1 ]; echo $?)"
warned=$("${P[@]}" -d "$DB" -c "SELECT n FROM counter WHERE rule = 'drop-column'")
ledger=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM audit.ddl_log WHERE rule = 'drop-column' AND action = 'warn'")
check "ledger: one warn row per committed drop-column ($ledger rows, $warned statements)" "$([ "$warned" = "$ledger" ] && [ "$warned" -gt 0 ]; echo $?)"
refused=$("${P[@]}" -d "$DB" -c "SELECT n FROM counter WHERE rule = 'refused'")
check "refusals happened and were caught ($refused)" "$([ "$refused" -gt 0 ]; echo $?)"
idx=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM pg_indexes WHERE tablename = 'account'")
check "no refused index was built ($idx index on account)" "$([ "$idx" = 1 ]; echo $?)"
"${P[@]}" -d postgres -c "DROP DATABASE $DB" >/dev/null
summary concurrency
