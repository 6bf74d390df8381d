#!/usr/bin/env bash
# Partitioned tables on a live server: every hint audit gives for a partitioned table is SQL
# that this PostgreSQL version accepts, run as written under enforcement (audit.enforcement =
# block, a lock_timeout, partitions far above audit.small_table_rows), and its trace scans no
# table under a lock that blocks writes; the result is what the refused statement wanted (a
# valid index, a validated constraint). Also: a partitioned table's size is its partitions',
# the small-table exemption looks at the tables a statement scans, a table filled and analyzed
# in one go is not counted twice, the partition operations' findings, and the routine
# maintenance path (next partition under a lock_timeout, old one detached concurrently, then
# dropped) passes lint and enforcement.
#   tests/partitions.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
use_server "$PORT"
DB=audit_partitions
fresh_db "$DB"
"${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
CREATE EXTENSION audit;
SET lock_timeout = '5s';
ALTER DATABASE audit_partitions SET audit.small_table_rows = 1000;
ALTER DATABASE audit_partitions SET audit.enforcement = 'block';
CREATE TABLE ref (id int PRIMARY KEY);
INSERT INTO ref SELECT generate_series(1, 100);
CREATE TABLE m (id int NOT NULL, r int, x int, ts date NOT NULL) PARTITION BY RANGE (ts);
CREATE TABLE m1 PARTITION OF m FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE m2 PARTITION OF m FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
CREATE TABLE m3 PARTITION OF m FOR VALUES FROM ('2026-03-01') TO ('2026-04-01')
  PARTITION BY RANGE (id);
CREATE TABLE m3a PARTITION OF m3 FOR VALUES FROM (0) TO (50000);
CREATE TABLE m3b PARTITION OF m3 FOR VALUES FROM (50000) TO (MAXVALUE);
INSERT INTO m SELECT i, i % 100 + 1, i, date '2026-01-01' + (i % 90) FROM generate_series(1, 90000) i;
-- a table with a default partition, and one the routine path maintains
CREATE TABLE d (id int, ts date) PARTITION BY RANGE (ts);
CREATE TABLE d1 PARTITION OF d FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE d_rest PARTITION OF d DEFAULT;
INSERT INTO d SELECT i, date '2026-01-01' + (i % 60) FROM generate_series(1, 20000) i;
CREATE TABLE staged (id int, ts date);
INSERT INTO staged SELECT i, date '2026-06-01' FROM generate_series(1, 5000) i;
CREATE TABLE small (id int, ts date) PARTITION BY RANGE (ts);
CREATE TABLE small1 PARTITION OF small FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE r (id int, ts date) PARTITION BY RANGE (ts);
CREATE TABLE r_2026_01 PARTITION OF r FOR VALUES FROM ('2026-01-01') TO ('2026-02-01');
CREATE TABLE r_2026_02 PARTITION OF r FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');
INSERT INTO r SELECT i, date '2026-01-01' + (i % 59) FROM generate_series(1, 20000) i;
SQL
"${P[@]}" -d "$DB" -c "VACUUM ANALYZE" >/dev/null
q() { "${P[@]}" -d "$DB" -c "$1" 2>&1; }
major=$(q "SHOW server_version_num"); major=$((major / 10000))

# 1. sizes: a partitioned table is its partitions (all levels), never its own empty heap
out=$(q "SELECT relation, table_rows, table_bytes > 0 FROM audit.lint('CREATE INDEX ON m (x)') WHERE rule = 'require-concurrent-index'")
check_eq "a partitioned table's rows are its partitions', at every level" "$out" "public.m|90000|t"
out=$(q "SELECT table_rows FROM audit.lint('CREATE INDEX ON m3 (x)') WHERE rule = 'require-concurrent-index'")
check_eq "an intermediate partitioned table sums its own partitions" "$out" "31000"
# a table filled and analyzed in one go, then linted in the same session: counted once
out=$("${P[@]}" -d "$DB" <<'SQL'
CREATE TABLE filled (a int);
INSERT INTO filled SELECT generate_series(1, 15000);
ANALYZE filled;
SELECT table_rows FROM audit.lint('CREATE INDEX ON filled (a)') WHERE rule = 'require-concurrent-index';
SQL
)
check_eq "a table filled and analyzed in one go is counted once" "$out" "15000"

# 2. each hint for a partitioned table: its SQL traced (no scan under a lock that blocks
# writes), then run as written under enforcement, and its result checked
hint_sql() {
  q "SELECT hint FROM audit.lint(\$\$$1\$\$) WHERE rule = '$2'" | sed 1d
}
# the trace's statements that read a table under SHARE or a stronger lock on it
blocking_scans() {
  local sql=$1
  q "SELECT count(*) FROM audit.trace(\$\$SET lock_timeout = '5s';
$sql\$\$) t, unnest(t.scanned) s, unnest(t.locks) l
 WHERE l ~ '^(Share|ShareRowExclusive|Exclusive|AccessExclusive)Lock on '
   AND split_part(l, ' on ', 2) = split_part(s, ' (', 1)"
}
run_hint() {
  local sql=$1
  "${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 -c "SET lock_timeout = '5s'" -f <(printf '%s\n' "$sql") 2>&1
}
try_hint() { # NAME UNSAFE-SQL RULE PATTERN-IN-HINT CHECK-SQL WANT
  local name=$1 unsafe=$2 rule=$3 pattern=$4 verify=$5 want=$6 sql out
  sql=$(hint_sql "$unsafe" "$rule")
  check_has "$name: the hint is written out for the partitions" "$sql" "$pattern"
  check_eq "$name: the hint's trace scans nothing under a lock that blocks writes" "$(blocking_scans "$sql")" "0"
  out=$(run_hint "$sql")
  check "$name: the hint runs under enforcement ($(echo "$out" | grep -m1 -E 'ERROR|WARNING'))" \
    "$([ -z "$(echo "$out" | grep -E 'ERROR|WARNING')" ]; echo $?)"
  check_eq "$name: the result" "$(q "$verify")" "$want"
}
try_hint "index" "CREATE INDEX m_x_idx ON m (x);" require-concurrent-index \
  "CREATE INDEX CONCURRENTLY m3a_x_idx ON public.m3a (x);" \
  "SELECT bool_and(i.indisvalid), count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname IN ('m_x_idx', 'm1_x_idx', 'm2_x_idx', 'm3_x_idx', 'm3a_x_idx', 'm3b_x_idx')" "t|6"
if [ "$major" -ge 18 ]; then fk_pattern="ALTER TABLE m ADD CONSTRAINT m_r_fk FOREIGN KEY (r) REFERENCES ref (id) NOT VALID;"
else fk_pattern="ALTER TABLE public.m3b VALIDATE CONSTRAINT m_r_fk;"; fi
try_hint "foreign key" "ALTER TABLE m ADD CONSTRAINT m_r_fk FOREIGN KEY (r) REFERENCES ref (id);" fk-not-valid \
  "$fk_pattern" \
  "SELECT bool_and(convalidated), count(*) FROM pg_constraint WHERE contype = 'f' AND conrelid IN (SELECT relid FROM pg_partition_tree('m'))" "t|6"
try_hint "check" "ALTER TABLE m ADD CONSTRAINT m_x_positive CHECK (x > 0);" check-not-valid \
  "ALTER TABLE m VALIDATE CONSTRAINT m_x_positive;" \
  "SELECT bool_and(convalidated), count(*) FROM pg_constraint WHERE conname = 'm_x_positive'" "t|6"
try_hint "not null" "ALTER TABLE m ALTER COLUMN x SET NOT NULL;" set-not-null \
  "ALTER TABLE m ALTER COLUMN x SET NOT NULL;" \
  "SELECT bool_and(attnotnull), count(*) FROM pg_attribute WHERE attname = 'x' AND attrelid IN (SELECT relid FROM pg_partition_tree('m'))" "t|6"
try_hint "unique" "ALTER TABLE m ADD CONSTRAINT m_id_key UNIQUE (id, ts);" add-unique-constraint \
  "CREATE UNIQUE INDEX CONCURRENTLY m1_id_key_idx ON public.m1 (id, ts);" \
  "SELECT count(*) FROM pg_constraint WHERE contype = 'u' AND conrelid IN (SELECT relid FROM pg_partition_tree('m'))" "6"

# 3. partition operations
out=$(q "SELECT rule, relation FROM audit.lint(\$\$SET lock_timeout = '2s';
CREATE TABLE d2 PARTITION OF d FOR VALUES FROM ('2026-02-01') TO ('2026-03-01');\$\$)")
check_has "a new partition beside a populated default partition: the default's scan" "$out" "^partition-default-scan|public.d_rest$"
out=$(q "SELECT rule FROM audit.lint(\$\$SET lock_timeout = '2s';
ALTER TABLE d ATTACH PARTITION staged FOR VALUES FROM ('2026-06-01') TO ('2026-07-01');\$\$)")
check_has "ATTACH beside a populated default partition: the default's scan" "$out" "partition-default-scan"
check_has "ATTACH of a populated table without a CHECK: its scan, not exempt by the parent's size" "$out" "attach-partition-check"
out=$(q "SELECT rule FROM audit.lint(\$\$SET lock_timeout = '2s';
ALTER TABLE small ATTACH PARTITION staged FOR VALUES FROM ('2026-06-01') TO ('2026-07-01');\$\$)")
check_has "ATTACH of a populated table to an empty partitioned table: the scan of the attached table" "$out" "attach-partition-check"
out=$(q "SELECT rule FROM audit.lint('ALTER TABLE d DETACH PARTITION d1 CONCURRENTLY')")
check_has "DETACH CONCURRENTLY beside a default partition fails" "$out" "detach-concurrently-default"
out=$(q "SELECT hint FROM audit.lint(\$\$ALTER TABLE d DETACH PARTITION d1\$\$) WHERE rule = 'detach-partition-concurrently'")
check_has "DETACH beside a default partition: the hint does not say CONCURRENTLY" "$out" "has a default partition"
real=$("${P[@]}" -d "$DB" -c "SET audit.enforcement = 'off'" -c "ALTER TABLE d DETACH PARTITION d1 CONCURRENTLY" 2>&1 | grep -c 'when a default partition exists')
check_eq "PostgreSQL agrees: DETACH CONCURRENTLY is refused beside a default partition" "$real" "1"

# 4. the routine maintenance path: lint clean, then run under enforcement
routine="SET lock_timeout = '2s';
CREATE TABLE r_2026_03 PARTITION OF r FOR VALUES FROM ('2026-03-01') TO ('2026-04-01');
ALTER TABLE r DETACH PARTITION r_2026_01 CONCURRENTLY;
DROP TABLE r_2026_01;"
out=$(q "SELECT count(*) FROM audit.lint(\$\$$routine\$\$)")
check_eq "the routine path lints clean" "$out" "0"
out=$(printf '%s\n' "$routine" | "${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 2>&1)
check "the routine path runs under enforcement ($(echo "$out" | head -1))" "$([ -z "$out" ]; echo $?)"
check_eq "the routine path's result" "$(q "SELECT string_agg(relid::text, ',' ORDER BY relid::text) FROM pg_partition_tree('r') WHERE isleaf")" "r_2026_02,r_2026_03"

"${P[@]}" -d postgres -c "DROP DATABASE $DB" >/dev/null
summary partitions
