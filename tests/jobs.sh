#!/usr/bin/env bash
# `audit lint --jobs N`: the same bytes and exit status for any N, in every format, offline on
# the corpus (tests/corpus) and on a generated corpus split into 400 files
# whose later files depend on what earlier ones built; with PORT, `--db` too.
#   tests/jobs.sh [PORT]
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
build_tool
W=target/jobs; rm -rf "$W"; mkdir -p "$W/gen"
python3 bench/gen_corpus.py 8000 | python3 -c '
import sys
stmts = sys.stdin.read().split(";\n")
n, per = 400, len(stmts) // 400
for i in range(n):
    open("'"$W"'/gen/%04d.sql" % i, "w").write(";\n".join(stmts[i * per:(i + 1) * per]) + ";\n")'
same() { # LABEL ARGS...: --jobs 1 and --jobs 4 print the same bytes and exit alike
  local label=$1; shift
  "$AUDIT" lint --jobs 1 "$@" > "$W/a" 2>&1; local a=$?
  "$AUDIT" lint --jobs 4 "$@" > "$W/b" 2>&1; local b=$?
  check "$label ($(wc -c < "$W/a") bytes, exit $a/$b)" "$([ $a = $b ] && cmp -s "$W/a" "$W/b"; echo $?)"
}
for fmt in text json sarif rows model count; do
  same "offline --format $fmt: the corpus" --format "$fmt" tests/corpus/*.sql
  same "offline --format $fmt: 400 generated files" --format "$fmt" "$W"/gen/*.sql
done
same "offline: --pg-version 13" --format json --pg-version 13 "$W"/gen/*.sql
same "offline: a migrations folder by its layout" --format json tests/layouts/goose
# the history a file sees is the one before it: a type change after the table's creation
printf 'CREATE TABLE h (id int, v text);\n' > "$W/h1.sql"
printf 'ALTER TABLE h ALTER COLUMN v TYPE varchar(20);\n' > "$W/h2.sql"
out=$("$AUDIT" lint --jobs 4 --format rows "$W/h1.sql" "$W/h2.sql" "$W/h1.sql" "$W/h2.sql")
check_eq "each file sees the files before it, not after" "$(echo "$out" | cut -d'|' -f3 | tr '\n' ' ')" \
  "$("$AUDIT" lint --jobs 1 --format rows "$W/h1.sql" "$W/h2.sql" "$W/h1.sql" "$W/h2.sql" | cut -d'|' -f3 | tr '\n' ' ')"
out=$("$AUDIT" lint --jobs 0 x.sql 2>&1); rc=$?
check_eq "--jobs 0: a usage error (exit 2)" "$rc" 2
if [ -n "${1:-}" ]; then
  PORT=$1; use_server "$PORT"
  "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS audit_jobs" -c "CREATE DATABASE audit_jobs" >/dev/null
  "${P[@]}" -d audit_jobs -c "CREATE TABLE t1 (id bigint PRIMARY KEY, c0 int, c1 text)" \
    -c "INSERT INTO t1 SELECT g, g, 'x' FROM generate_series(1, 20000) g" -c "ANALYZE" >/dev/null
  check_eq "--db: the database is there" "$("${P[@]}" -d audit_jobs -c "SELECT count(*) FROM t1")" 20000
  for fmt in text json sarif; do
    same "--db --format $fmt: 400 generated files" --db "$(db_url audit_jobs)" --format "$fmt" "$W"/gen/*.sql
    [ "$fmt" = json ] && check_has "--db: linted against the catalog" "$(grep '"catalog"' "$W/a")" '"catalog": true'
  done
  "${P[@]}" -d postgres -c "DROP DATABASE audit_jobs" >/dev/null
fi
summary jobs
