#!/usr/bin/env bash
# Baselines around real pgbench workloads (the runbook, end to end):
#  1. a migration that drops an index the workload needs -> that query regresses, verdict defer
#  2. a harmless migration                                -> verdict proceed
#  3. a migration that deletes rows                       -> row-count loss, verdict defer
# Decisions are checked, not timings: the regression is thousands of percent, far from noise.
#   tests/baseline.sh PORT
set -uo pipefail
PORT=${1:?port}
. "$(dirname "$0")/../scripts/lib.sh"
DB=audit_baseline
BIN=$PG_BIN
use_server "$PORT"; P+=(-v ON_ERROR_STOP=1)
workload() { "$BIN/pgbench" -n -h /tmp -p "$PORT" -U postgres -f "$W" -t "$1" "$DB" >/dev/null 2>&1 || { echo "pgbench failed"; exit 1; }; }
flush() { "${P[@]}" -d "$DB" -c "SELECT pg_stat_force_next_flush()" >/dev/null; sleep 1.1; }
W=$(mktemp); trap 'rm -f "$W"' EXIT
cat > "$W" <<'SQL'
\set c random(1, 20000)
SELECT id FROM item WHERE code = 'c' || :c;
SQL
fresh_db "$DB"
"${P[@]}" -d "$DB" <<'SQL'
CREATE EXTENSION audit;
CREATE EXTENSION pg_stat_statements;
CREATE TABLE item (id int PRIMARY KEY, code text);
INSERT INTO item SELECT g, 'c' || g FROM generate_series(1, 20000) g;
CREATE INDEX CONCURRENTLY item_code_idx ON item (code);
ANALYZE item;
SELECT pg_stat_statements_reset();
SQL
# 1. drop the index the workload needs
workload 1000; flush
"${P[@]}" -d "$DB" -c "SELECT audit.capture_baseline('before-drop')" >/dev/null
"${P[@]}" -d "$DB" -c "DROP INDEX CONCURRENTLY item_code_idx"
workload 200; flush
row=$("${P[@]}" -d "$DB" -c "SELECT status || '|' || (change_pct > 100)::text FROM audit.compare_baseline('before-drop') WHERE kind = 'query' AND object LIKE '%FROM item WHERE code%'")
check "dropped index: the workload's query is a regression of more than 100% ($row)" "$([ "$row" = 'regression|true' ]; echo $?)"
v=$("${P[@]}" -d "$DB" -c "SELECT verdict || '|' || blocker FROM audit.go_no_go('before-drop') LIMIT 1")
check "dropped index: verdict defer on a query regression ($v)" "$([ "$v" = 'defer|query regression' ]; echo $?)"
"${P[@]}" -d "$DB" -c "SELECT audit.assert_go('before-drop')" >/dev/null 2>&1
check "dropped index: assert_go raises" "$([ $? != 0 ]; echo $?)"
# 2. a harmless migration: put the index back, new baseline, add a nullable column
"${P[@]}" -d "$DB" -c "CREATE INDEX CONCURRENTLY item_code_idx ON item (code)"
workload 1000; flush
"${P[@]}" -d "$DB" -c "SELECT audit.capture_baseline('before-harmless')" >/dev/null
"${P[@]}" -d "$DB" -c "SET lock_timeout = '2s'; ALTER TABLE item ADD COLUMN note text"
workload 1000; flush
v=$("${P[@]}" -d "$DB" -c "SELECT verdict FROM audit.go_no_go('before-harmless', threshold_pct => 300)")
check "harmless migration: verdict proceed ($v)" "$([ "$v" = 'proceed' ]; echo $?)"
"${P[@]}" -d "$DB" -c "SELECT audit.assert_go('before-harmless', threshold_pct => 300)" >/dev/null
check "harmless migration: assert_go is quiet" "$?"
# 3. a migration that deletes rows
"${P[@]}" -d "$DB" -c "SELECT audit.capture_baseline('before-delete', exact => true)" >/dev/null
"${P[@]}" -d "$DB" -c "DELETE FROM item WHERE id <= 500"
flush
row=$("${P[@]}" -d "$DB" -c "SELECT before || '|' || after || '|' || status FROM audit.compare_baseline('before-delete') WHERE kind = 'table_rows'")
check "deleted rows: row count 20000 -> 19500 is a regression ($row)" "$([ "$row" = '20000|19500|regression' ]; echo $?)"
v=$("${P[@]}" -d "$DB" -c "SELECT string_agg(DISTINCT verdict || '|' || blocker, ',') FROM audit.go_no_go('before-delete', threshold_pct => 300)")
check "deleted rows: verdict defer on row count loss ($v)" "$([ "$v" = 'defer|row count loss' ]; echo $?)"
v=$("${P[@]}" -d "$DB" -c "SELECT verdict FROM audit.go_no_go('before-delete', threshold_pct => 300, allow_row_loss => '{public.item}')")
check "deleted rows: an expected loss can be allowed ($v)" "$([ "$v" = 'proceed' ]; echo $?)"
# a table filled and analyzed in one go (the statistics collector then counts its rows twice)
"${P[@]}" -d "$DB" <<'SQL'
CREATE TABLE filled (a int);
INSERT INTO filled SELECT generate_series(1, 15000);
ANALYZE filled;
SQL
flush
"${P[@]}" -d "$DB" -c "SELECT audit.capture_baseline('filled')" >/dev/null
r=$("${P[@]}" -d "$DB" -c "SELECT estimated_rows FROM audit.baseline_tables WHERE label = 'filled' AND table_name = 'public.filled'")
check "a table filled and analyzed in one go is estimated once ($r)" "$([ "$r" = 15000 ]; echo $?)"
# a reset of pg_stat_statements between capture and compare is detected
"${P[@]}" -d "$DB" -c "SELECT pg_stat_statements_reset()" >/dev/null
workload 50; flush
r=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM audit.compare_baseline('before-harmless') WHERE kind = 'statements' AND status = 'reset'")
check "stats reset is detected ($r)" "$([ "$r" = 1 ]; echo $?)"
"${P[@]}" -d postgres -c "DROP DATABASE $DB"
summary baseline
