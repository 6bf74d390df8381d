#!/usr/bin/env bash
# Benchmarks: each figure is a ratio to a floor measured in the same run, median of several
# runs. Builds in release mode, starts its own throwaway cluster. Not part of the test suite.
#   scripts/bench.sh            (AUDIT_BENCH_QUICK=1 for smaller sizes,
#                               AUDIT_BENCH_FIGURES="1 6" for some figures only; 10 and
#                               11 need only the tool)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh >/dev/null
. scripts/lib.sh
PORT=${AUDIT_BENCH_PORT:-54333}
DATA=${AUDIT_BENCH_DATA:-/tmp/audit-bench/data}
RUNS=${AUDIT_BENCH_RUNS:-5}
QUICK=${AUDIT_BENCH_QUICK:-}
N_STMTS=20000; N_DDL=2000; SCALES="1000 10000"; N_QUERIES=5000; N_TABLES=10000; N_TRACE=1000000; DEMO_SCALE=1
if [ -n "$QUICK" ]; then N_STMTS=5000; N_DDL=500; SCALES="500 2000"; N_QUERIES=1000; N_TABLES=2000; N_TRACE=100000; DEMO_SCALE=0.2; fi
OUT=target/bench; mkdir -p "$OUT"
echo "== building (release)"
scripts/install.sh --release >/dev/null
cargo build -q --release -p audit-cli
mkdir -p "$(dirname "$DATA")"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$(dirname "$DATA")"
AUDIT_PRELOAD=pg_stat_statements,audit scripts/cluster.sh start "$DATA" "$PORT" \
  "pg_stat_statements.max = 10000" "max_locks_per_transaction = 1024" "shared_buffers = 256MB"
trap 'scripts/cluster.sh stop "$DATA"' EXIT
P=(psql -X -q -At -h /tmp -p "$PORT" -U postgres -v ON_ERROR_STOP=1)
export PGOPTIONS="-c client_min_messages=warning"
median() { sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ms_now() { date +%s%N; }
# time_cmd RUNS cmd... -> median milliseconds
time_cmd() {
  local runs=$1; shift
  for _ in $(seq "$runs"); do
    local t0; t0=$(ms_now); "$@" >/dev/null; echo "scale=3; ($(ms_now) - t0) / 1000000" | sed "s/t0/$t0/" | bc
  done | median
}
# time_sql DB SQL -> median ms of the statement, timed inside the server
time_sql() {
  local db=$1 sql=$2
  for _ in $(seq "$RUNS"); do
    "${P[@]}" -d "$db" -c "DO \$\$ DECLARE t0 timestamptz := clock_timestamp(); BEGIN $sql; RAISE WARNING 'ms=%', extract(epoch FROM clock_timestamp() - t0) * 1000; END \$\$" 2>&1 \
      | sed -n 's/.*ms=\([0-9.]*\).*/\1/p'
  done | median
}
ratio() { echo "scale=2; $1 / $2" | bc; }
report() { printf '%-58s %s\n' "$1" "$2" | tee -a "$OUT/figures.txt"; }
# want N: figure N is among AUDIT_BENCH_FIGURES (default: all)
want() { [[ " ${AUDIT_BENCH_FIGURES:-1 2 3 4 5 6 7 8 9 10 11} " == *" $1 "* ]]; }
: > "$OUT/figures.txt"

if want 1; then
echo "== 1. lint throughput ($N_STMTS statements of mixed DDL)"
python3 bench/gen_corpus.py "$N_STMTS" > "$OUT/corpus.sql"
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench_lint" -c "CREATE DATABASE bench_lint"
"${P[@]}" -d bench_lint -c "CREATE EXTENSION audit" -c "CREATE TABLE corpus (sql text)"
printf '\\set c `cat %s`\nINSERT INTO corpus VALUES (:%s);\n' "$PWD/$OUT/corpus.sql" "'c'" | "${P[@]}" -d bench_lint
# parse-only and full lint alternate in one session (same caches, same CPU state), 5 x RUNS
# times each; the medians are compared
lint_vs_parse() {
"${P[@]}" -d bench_lint -c "DO \$\$ DECLARE t0 timestamptz; p float8[] := '{}'; l float8[] := '{}'; BEGIN
  FOR k IN 1..$((RUNS * 5)) LOOP
    t0 := clock_timestamp(); PERFORM audit.parse_count(sql) FROM corpus;
    p := p || extract(epoch FROM clock_timestamp() - t0) * 1000;
    t0 := clock_timestamp(); PERFORM count(*) FROM corpus, audit.lint(corpus.sql);
    l := l || extract(epoch FROM clock_timestamp() - t0) * 1000;
  END LOOP;
  RAISE WARNING 'ms=% %', (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 3) FROM unnest(p) x),
                          (SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 3) FROM unnest(l) x);
END \$\$" 2>&1 | sed -n 's/.*ms=\([0-9.]*\) \([0-9.]*\).*/\1 \2/p'
}
read -r parse lint < <(lint_vs_parse)
# The same with glibc told never to trim its heap nor to map big blocks on their own: by
# default a backend gives the parse tree's memory back after each parse_count() call and
# faults it in again on the next (about 5,000 page faults a call here), while the memory
# audit.lint() leaves behind spares its own parse most of them. With the allocator steady,
# both sides run on memory already mapped, and the ratio is the work's alone.
pg_ctl_as_pg -D "$DATA" -m fast -w stop >/dev/null
as_pg env LD_LIBRARY_PATH="$PG_LIBDIR" MALLOC_MMAP_THRESHOLD_=4000000000 \
  MALLOC_TRIM_THRESHOLD_=4000000000 "$PG_BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w start >/dev/null
read -r sparse slint < <(lint_vs_parse)
pg_ctl_as_pg -D "$DATA" -m fast -w stop >/dev/null
pg_ctl_as_pg -D "$DATA" -l "$DATA/server.log" -w start >/dev/null
report "audit.lint(): parse-only floor (raw_parser), ms" "$parse"
report "audit.lint(): full lint, ms" "$lint"
report "audit.lint() / raw_parser (goal <= 1.5)" "$(ratio "$lint" "$parse")"
report "steady allocator: raw_parser floor, ms" "$sparse"
report "steady allocator: full lint, ms" "$slint"
report "steady allocator: audit.lint() / raw_parser (goal <= 1.5)" "$(ratio "$slint" "$sparse")"
oparse=$(time_cmd "$RUNS" target/release/audit lint --format count "$OUT/corpus.sql")
olint=$(time_cmd "$RUNS" sh -c "target/release/audit lint '$OUT/corpus.sql' > /dev/null || true")
report "audit lint: pg_query parse-only floor, ms" "$oparse"
report "audit lint: full lint, ms" "$olint"
report "audit lint / pg_query parse (goal <= 1.5)" "$(ratio "$olint" "$oparse")"
if [ ! -x "$OUT/venv/bin/squawk" ]; then
  (python3 -m venv "$OUT/venv" && "$OUT/venv/bin/pip" install -q squawk-cli) >/dev/null 2>&1 || true
fi
if [ -x "$OUT/venv/bin/squawk" ]; then
  sq=$(time_cmd 1 sh -c "'$OUT/venv/bin/squawk' '$OUT/corpus.sql' > /dev/null 2>&1 || true")
  report "peer: squawk $("$OUT/venv/bin/squawk" --version 2>/dev/null | awk '{print $NF}'), ms (1 run)" "$sq"
  report "peer: squawk / pg_query parse" "$(ratio "$sq" "$oparse")"
else
  report "peer: squawk" "not installable here"
fi

fi
if want 2; then
echo "== 2. enforcement overhead ($N_DDL DDL statements)"
for db in bench_plain bench_audit; do "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"; done
"${P[@]}" -d bench_audit -c "CREATE EXTENSION audit"
# "without audit": the preloaded hook would check DDL in a database without the extension
"${P[@]}" -d postgres -c "ALTER DATABASE bench_plain SET audit.enforcement = off"
# The loop runs inside the server (DO block, one transaction per group of five statements, so
# every check runs and none refuses); timed there, interleaved plain / audited, and the
# minimum of the runs is kept: DDL timings on a shared 2-core machine have a long upper tail.
DDL_LOOP="FOR i IN 1..$((N_DDL / 5)) LOOP
  EXECUTE format('CREATE TABLE d%s (id int PRIMARY KEY, a text)', i);
  EXECUTE format('CREATE INDEX ON d%s (a)', i);
  EXECUTE format('ALTER TABLE d%s ADD COLUMN b int', i);
  EXECUTE format('ALTER TABLE d%s ALTER COLUMN b TYPE bigint', i);
  EXECUTE format('DROP TABLE d%s', i);
  COMMIT;
END LOOP"
one_run() { "${P[@]}" -d "$1" -c "DO \$\$ DECLARE t0 timestamptz := clock_timestamp(); BEGIN $DDL_LOOP; RAISE WARNING 'ms=%', extract(epoch FROM clock_timestamp() - t0) * 1000; END \$\$" 2>&1 | sed -n 's/.*ms=\([0-9.]*\).*/\1/p'; }
: > "$OUT/ddl.plain"; : > "$OUT/ddl.audit"
for _ in $(seq $((RUNS + 2))); do
  one_run bench_plain >> "$OUT/ddl.plain"
  one_run bench_audit >> "$OUT/ddl.audit"
done
plain=$(sort -g "$OUT/ddl.plain" | head -1)
audited=$(sort -g "$OUT/ddl.audit" | head -1)
report "DDL loop without audit, ms (min of $((RUNS + 2)))" "$plain"
report "DDL loop with audit's triggers, ms (min of $((RUNS + 2)))" "$audited"
report "enforcement overhead, % (goal <= 3)" "$(echo "scale=1; ($audited - $plain) * 100 / $plain" | bc)"
# the trigger's own cost, isolated: a cheap ALTER TABLE on an existing table (every rule is
# checked, none fires) repeated in one transaction
for db in bench_plain bench_audit; do "${P[@]}" -d "$db" -c "CREATE TABLE IF NOT EXISTS cheap (id int)"; done
CHEAP="FOR i IN 1..$N_DDL LOOP EXECUTE format('ALTER TABLE cheap ALTER COLUMN id SET STATISTICS %s', 100 + i % 50); END LOOP"
cheap_run() { "${P[@]}" -d "$1" -c "DO \$\$ DECLARE t0 timestamptz := clock_timestamp(); BEGIN $CHEAP; RAISE WARNING 'ms=%', extract(epoch FROM clock_timestamp() - t0) * 1000; END \$\$" 2>&1 | sed -n 's/.*ms=\([0-9.]*\).*/\1/p'; }
: > "$OUT/cheap.plain"; : > "$OUT/cheap.audit"
for _ in $(seq $((RUNS + 2))); do cheap_run bench_plain >> "$OUT/cheap.plain"; cheap_run bench_audit >> "$OUT/cheap.audit"; done
cp_=$(sort -g "$OUT/cheap.plain" | head -1); ca_=$(sort -g "$OUT/cheap.audit" | head -1)
report "cheap ALTER TABLE x $N_DDL without / with audit, ms" "$cp_ / $ca_"
report "trigger cost per DDL statement, microseconds" "$(echo "scale=1; ($ca_ - $cp_) * 1000 / $N_DDL" | bc)"
"${P[@]}" -d bench_audit -c "CREATE TABLE r (id int); INSERT INTO r SELECT generate_series(1, 1000)"
refused=$(time_sql bench_audit "FOR i IN 1..1000 LOOP BEGIN EXECUTE 'CREATE INDEX ON r (id)'; EXCEPTION WHEN insufficient_privilege THEN NULL; END; END LOOP")
"${P[@]}" -d bench_plain -c "CREATE TABLE r (id int); INSERT INTO r SELECT generate_series(1, 1000)"
built=$(time_sql bench_plain "FOR i IN 1..20 LOOP EXECUTE 'CREATE INDEX r_tmp ON r (id)'; EXECUTE 'DROP INDEX r_tmp'; END LOOP")
report "one refused statement, ms" "$(echo "scale=3; $refused / 1000" | bc)"
report "refusal / building that index on 1000 rows" "$(echo "scale=3; ($refused / 1000) / ($built / 20)" | bc)"

fi
if want 3; then
echo "== 3. verify_migrations() scaling"
for n in $SCALES; do
  db=bench_verify_$n
  "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  "${P[@]}" -d "$db" -c "CREATE EXTENSION audit" -c "CREATE TABLE parent (id int PRIMARY KEY)"
  "${P[@]}" -d "$db" -c "SET audit.enforcement = off" -c "DO \$\$ BEGIN FOR i IN 1..$n LOOP
      EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, p int REFERENCES parent, a int, b int)', i);
      EXECUTE format('CREATE INDEX ON t%s (p)', i);
      EXECUTE format('CREATE INDEX ON t%s (a, b)', i);
      IF i % 1000 = 0 THEN COMMIT; END IF; END LOOP; END \$\$"
  v=$(time_sql "$db" "PERFORM count(*) FROM audit.verify_migrations()")
  report "verify_migrations(), $n tables (3 indexes, 1 FK each), ms" "$v"
  report "  per table, ms" "$(echo "scale=4; $v / $n" | bc)"
done

fi
if want 4; then
echo "== 4. baseline capture and compare ($N_QUERIES statements, $N_TABLES tables)"
db=bench_baseline
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
"${P[@]}" -d "$db" -c "CREATE EXTENSION audit" -c "CREATE EXTENSION pg_stat_statements"
"${P[@]}" -d "$db" -c "SET audit.enforcement = off" -c "DO \$\$ BEGIN FOR i IN 1..$N_TABLES LOOP
    EXECUTE format('CREATE TABLE t%s (id int PRIMARY KEY, a int)', i);
    IF i % 1000 = 0 THEN COMMIT; END IF; END LOOP; END \$\$"
"${P[@]}" -d "$db" -c "SELECT pg_stat_statements_reset()" >/dev/null
python3 -c "
for i in range(1, $N_QUERIES + 1):
    print(f'SELECT count(*) FROM t{i};')" > "$OUT/queries.sql"
"${P[@]}" -d "$db" -f "$OUT/queries.sql" >/dev/null
report "pg_stat_statements entries" "$("${P[@]}" -d "$db" -c "SELECT count(*) FROM pg_stat_statements")"
cap=$(for i in $(seq "$RUNS"); do "${P[@]}" -d "$db" -c "DO \$\$ DECLARE t0 timestamptz := clock_timestamp(); BEGIN PERFORM audit.capture_baseline('b$i'); RAISE WARNING 'ms=%', extract(epoch FROM clock_timestamp() - t0) * 1000; END \$\$" 2>&1 | sed -n 's/.*ms=\([0-9.]*\).*/\1/p'; done | median)
cmp=$(time_sql "$db" "PERFORM count(*) FROM audit.compare_baseline('b1')")
floor=$(time_sql "$db" "PERFORM (SELECT count(*) FROM (SELECT * FROM pg_stat_statements) s) + (SELECT count(*) FROM pg_class)")
report "capture_baseline(), ms (goal < 200)" "$cap"
report "compare_baseline() against now, ms (goal < 200)" "$cmp"
report "floor: reading pg_stat_statements and pg_class once, ms" "$floor"

fi
if want 5; then
echo "== 5. the ProcessUtility hook on ordinary traffic (pgbench's default script)"
# The same cluster restarted with and without audit preloaded, alternately; every BEGIN and
# END of the TPC-B-like script passes through the hook. Median TPS of the runs.
HOOK_T=${AUDIT_BENCH_HOOK_SECONDS:-15}
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench_pgbench" -c "CREATE DATABASE bench_pgbench"
PGOPTIONS="-c audit.enforcement=off" "$PG_BIN/pgbench" -q -i -s 10 -h /tmp -p "$PORT" -U postgres bench_pgbench >/dev/null 2>&1
tps() { "$PG_BIN/pgbench" -n -T "$HOOK_T" -c 2 -j 2 -h /tmp -p "$PORT" -U postgres bench_pgbench 2>/dev/null \
  | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
restart() { scripts/cluster.sh stop "$DATA"; pg_ctl_as_pg -D "$DATA" -l "$DATA/server.log" -w start -o "-c shared_preload_libraries=$1" >/dev/null; }
: > "$OUT/tps.with"; : > "$OUT/tps.without"
for _ in $(seq "$RUNS"); do
  restart pg_stat_statements,audit; tps >> "$OUT/tps.with"
  restart pg_stat_statements; tps >> "$OUT/tps.without"
done
with=$(median < "$OUT/tps.with"); without=$(median < "$OUT/tps.without")
report "pgbench TPS with the hook (median of $RUNS x ${HOOK_T}s)" "$with"
report "pgbench TPS without audit preloaded" "$without"
report "with / without (1.00 = no cost)" "$(ratio "$with" "$without")"
fi
if want 6; then
echo "== 6. audit.trace() against running the same script plainly ($N_TRACE rows)"
# The script below, once inside audit.trace() and once plainly in BEGIN ... ROLLBACK (the
# triggers off), alternately; client-side wall time of each psql call, medians.
db=bench_trace
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
"${P[@]}" -d "$db" -c "CREATE EXTENSION audit" -c "SET audit.enforcement = off" \
  -c "CREATE TABLE category (id int PRIMARY KEY, name text)" \
  -c "INSERT INTO category SELECT g, 'c' || g FROM generate_series(1, 100) g" \
  -c "CREATE TABLE recipe (id int PRIMARY KEY, title varchar(200), category_id int REFERENCES category, servings int)" \
  -c "INSERT INTO recipe SELECT g, 'recipe ' || g, 1 + g % 100, NULL FROM generate_series(1, $N_TRACE) g" \
  -c "VACUUM ANALYZE"
script="SET lock_timeout = '5s';
ALTER TABLE recipe ADD COLUMN notes text;
UPDATE recipe SET servings = 2 WHERE id <= $((N_TRACE / 10));
CREATE INDEX recipe_category_idx ON recipe (category_id);
ALTER TABLE recipe ALTER COLUMN id TYPE bigint;"
: > "$OUT/trace.traced"; : > "$OUT/trace.plain"
for _ in $(seq "$RUNS"); do
  time_cmd 1 "${P[@]}" -d "$db" -c "SELECT audit.trace_json(\$\$$script\$\$)" >> "$OUT/trace.traced"
  time_cmd 1 "${P[@]}" -d "$db" -c "SET audit.enforcement = off" -c "BEGIN" -c "$script" -c "ROLLBACK" >> "$OUT/trace.plain"
done
traced=$(median < "$OUT/trace.traced"); plain=$(median < "$OUT/trace.plain")
report "audit.trace() of the script, ms (median of $RUNS)" "$traced"
report "the same script in BEGIN ... ROLLBACK, ms" "$plain"
report "traced / plain (1.00 = no cost)" "$(ratio "$traced" "$plain")"
fi
if want 7; then
echo "== 7. the audit tool's own time in validate and deploy (the recipe database, scale $DEMO_SCALE)"
# tool_seconds of report.json: the run less its windows, tests and migrations. The floor is the
# SQL the tool asks the server for, run from psql: two baselines with exact row counts,
# VACUUM ANALYZE of the table the backfill wrote, verification, comparison and verdict. Peak memory is the
# process's maximum resident set.
read -r R U < <(scripts/recipes.sh "$PORT" --scale "$DEMO_SCALE" bench_tool_base 2>/dev/null)
peak() { python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss // 1024)' "$@"; }
: > "$OUT/tool.validate"; : > "$OUT/tool.deploy"; : > "$OUT/tool.floor"; : > "$OUT/tool.mem"
for i in $(seq "$RUNS"); do
  for d in bench_tool_staging bench_tool_prod bench_tool_floor; do
    "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d TEMPLATE bench_tool_base"
  done
  peak target/release/audit validate --db "$(db_url bench_tool_staging)" --migrations migrations/safe --window 1s \
    --out "$OUT/tool-staging" -q >> "$OUT/tool.mem"
  python3 -c "import json; print(json.load(open('$OUT/tool-staging/report.json'))['tool_seconds'] * 1000)" >> "$OUT/tool.validate"
  peak target/release/audit deploy --db "$(db_url bench_tool_prod)" --migrations migrations/safe \
    --staging-report "$OUT/tool-staging/report.json" --out "$OUT/tool-prod" -q >> "$OUT/tool.mem"
  python3 -c "import json; print(json.load(open('$OUT/tool-prod/report.json'))['tool_seconds'] * 1000)" >> "$OUT/tool.deploy"
  for f in migrations/safe/0*.sql; do "${P[@]}" -d bench_tool_floor -f "$f" >/dev/null 2>&1; done
  t0=$(ms_now)
  "${P[@]}" -d bench_tool_floor -c "SELECT audit.capture_baseline('a', exact => true)" -c "VACUUM (ANALYZE) recipes" \
    -c "SELECT audit.capture_baseline('b', exact => true)" \
    -c "SELECT count(*) FROM audit.verify_migrations()" -c "SELECT count(*) FROM audit.compare_baseline('a', 'b')" \
    -c "SELECT audit.go_no_go_json('a', 'b')" >/dev/null
  echo "scale=3; ($(ms_now) - $t0) / 1000000" | bc >> "$OUT/tool.floor"
done
v=$(median < "$OUT/tool.validate"); d=$(median < "$OUT/tool.deploy"); f=$(median < "$OUT/tool.floor")
report "audit validate: the tool's own time, ms (goal < 1000)" "$v"
report "audit deploy: the tool's own time, ms (goal < 1000)" "$d"
report "floor: the same SQL from psql, ms" "$f"
report "validate own time / floor" "$(ratio "$v" "$f")"
report "peak memory of validate and deploy, MB (max)" "$(sort -n "$OUT/tool.mem" | tail -1)"
fi
if want 8; then
echo "== 8. audit lint --db against a database of $N_TABLES tables, to the offline lint of the same files"
# The files: the generated corpus of figure 1 ($N_STMTS statements on tables t1, t2, ...) and
# the project's corpus (tests/corpus/*.sql). The database holds $N_TABLES tables named as the
# generated corpus names them, analyzed, so the catalog has facts for every table it asks
# about. Client-side wall time of each run, medians; round trips as the tool counts them.
[ -f "$OUT/corpus.sql" ] || python3 bench/gen_corpus.py "$N_STMTS" > "$OUT/corpus.sql"
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench_lintdb" -c "CREATE DATABASE bench_lintdb"
"${P[@]}" -d bench_lintdb -c "SET audit.enforcement = off" -c "DO \$\$ BEGIN FOR i IN 1..$N_TABLES LOOP
  EXECUTE format('CREATE TABLE t%s (id bigint PRIMARY KEY, c0 int, c1 text, c2 int CHECK (c2 > 0))', i);
  EXECUTE format('CREATE INDEX ON t%s (c0)', i); END LOOP; END \$\$"
"${P[@]}" -d bench_lintdb -c "ANALYZE"
files=("$OUT/corpus.sql" tests/corpus/*.sql)
url="postgresql://postgres@/bench_lintdb?host=/tmp&port=$PORT"
offline=$(time_cmd "$RUNS" sh -c "target/release/audit lint ${files[*]} > /dev/null || true")
withdb=$(time_cmd "$RUNS" sh -c "target/release/audit lint --db '$url' ${files[*]} > /dev/null || true")
report "audit lint offline, the corpora, ms" "$offline"
report "audit lint --db, the corpora, ms" "$withdb"
report "audit lint --db / offline (goal <= 2)" "$(ratio "$withdb" "$offline")"
trips() { target/release/audit lint --db "$url" --format json "$@" | python3 -c 'import json, sys; print(json.load(sys.stdin)["round_trips"])'; }
echo "ALTER TABLE t1 ADD COLUMN z int;" > "$OUT/one.sql"
report "round trips: 1 statement" "$(trips "$OUT/one.sql" || true)"
report "round trips: $N_STMTS statements" "$(trips "$OUT/corpus.sql" || true)"
report "round trips: both corpora ($(cat "${files[@]}" | grep -c ';') statements)" "$(trips "${files[@]}" || true)"
fi
if want 9; then
echo "== 9. the model's identifier type (Name) against compact_str's CompactString"
# build, clone into a map, look up and compare 20,000 identifiers, ns per identifier (the
# example prints the medians of 31 alternating runs)
cargo build -q --release -p audit-rules --example name_bench
read -r name_ns compact_ns < <(target/release/examples/name_bench)
report "Name, ns per identifier" "$name_ns"
report "CompactString, ns per identifier" "$compact_ns"
report "CompactString / Name (above 1: Name is faster)" "$(ratio "$compact_ns" "$name_ns")"
fi
if want 10; then
echo "== 10. a 2,000-migration dbmate folder and its history table, to a folder of one"
# What reading the runner's layout (detection, sections, parsing each file) and its history
# table (2,000 rows) adds to validate and deploy: `audit status` on the big folder against the
# same command on a folder of one migration, same database, client-side wall time, medians.
big=$OUT/dbmate-2000; one=$OUT/dbmate-1; rm -rf "$big" "$one"; mkdir -p "$big" "$one"
for i in $(seq 1 2000); do
  v=$(printf '2024%010d' "$i")
  printf -- '-- migrate:up\nALTER TABLE t%s ADD COLUMN c%s int;\nCREATE INDEX CONCURRENTLY t%s_c%s_idx ON t%s (c%s);\n\n-- migrate:down\nALTER TABLE t%s DROP COLUMN c%s;\n' \
    "$i" "$i" "$i" "$i" "$i" "$i" "$i" "$i" > "$big/${v}_step_$i.sql"
done
cp "$big/$(printf '2024%010d' 1)_step_1.sql" "$one/"
"${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS bench_layout" -c "CREATE DATABASE bench_layout"
"${P[@]}" -d bench_layout -c "CREATE TABLE schema_migrations (version varchar(128) PRIMARY KEY)" \
  -c "INSERT INTO schema_migrations SELECT '2024' || lpad(i::text, 10, '0') FROM generate_series(1, 1999) i"
url="postgresql://postgres@/bench_layout?host=/tmp&port=$PORT"
t_big=$(time_cmd "$RUNS" target/release/audit status --db "$url" --migrations "$big")
t_one=$(time_cmd "$RUNS" target/release/audit status --db "$url" --migrations "$one")
report "audit status, 2,000 migrations and 1,999 rows, ms" "$t_big"
report "audit status, 1 migration, ms" "$t_one"
report "what the 2,000 add, ms (goal < 100)" "$(echo "$t_big - $t_one" | bc)"
fi
if want 11; then
echo "== 11. audit lint on every core: --jobs N against --jobs 1, and the parallel parse floor"
# 2,000 files cut from the generated corpus of figure 1 (20,000 statements; later files build on
# earlier ones). Client-side wall time, medians; the floor reads and parses the same files with
# pg_query alone on the same threads (--format count); CPU and peak memory from /usr/bin/time.
gen=$OUT/lint-2000; rm -rf "$gen"; mkdir -p "$gen"
python3 bench/gen_corpus.py 20000 | python3 -c '
import sys
stmts = sys.stdin.read().split(";\n")
per = len(stmts) // 2000
for i in range(2000):
    open(sys.argv[1] + "/%04d.sql" % i, "w").write(";\n".join(stmts[i * per:(i + 1) * per]) + ";\n")' "$gen"
cores=$(nproc)
lint() { target/release/audit lint --format json --jobs "$1" "$gen"/*.sql > /dev/null || true; }
count() { target/release/audit lint --format count --jobs "$1" "$gen"/*.sql > /dev/null; }
one=$(time_cmd $((RUNS * 2)) lint 1); all=$(time_cmd $((RUNS * 2)) lint "$cores"); floor=$(time_cmd $((RUNS * 2)) count "$cores")
usage() { /usr/bin/time -f "%U %S %M" target/release/audit lint --format json --jobs "$1" "$gen"/*.sql 2>&1 >/dev/null | tail -1; }
read -r u1 s1 m1 <<< "$(usage 1)"; read -r un sn mn <<< "$(usage "$cores")"
report "audit lint, 2,000 files, --jobs 1, ms" "$one"
report "audit lint, 2,000 files, --jobs $cores, ms" "$all"
report "parse floor, --jobs $cores, ms" "$floor"
report "--jobs $cores / --jobs 1 (goal <= 0.55 on 2 cores)" "$(ratio "$all" "$one")"
report "--jobs $cores / parse floor (goal <= 1.3)" "$(ratio "$all" "$floor")"
report "CPU s, --jobs 1 / --jobs $cores" "$(echo "$u1 + $s1" | bc) / $(echo "$un + $sn" | bc)"
report "peak memory MB, --jobs 1 / --jobs $cores" "$((m1 / 1024)) / $((mn / 1024))"
fi
echo
echo "figures written to $OUT/figures.txt"
