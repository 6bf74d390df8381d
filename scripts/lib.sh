# Shared by every script and test harness (source it; it sets nothing else):
#   PG_CONFIG        the PostgreSQL to build against and run; default Debian's 15
#   PG_BIN           that installation's programs (initdb, pg_ctl, pgbench, pg_dump)
#   PG_MAJOR         its major version (15)
#   as_pg CMD...     run CMD as the postgres OS user when root (initdb refuses root)
#   check NAME RC    count one check of a harness: prints "ok   NAME" or "FAIL NAME"
#   summary LABEL    print "LABEL: N passed, M failed"; non-zero when something failed
#   add_counts FILE LABEL   add the counts of FILE's "LABEL: N passed, M failed" line (a
#                    missing line counts as one failure)
# shellcheck shell=bash
: "${PG_CONFIG:=/usr/lib/postgresql/15/bin/pg_config}"
PG_BIN=$("$PG_CONFIG" --bindir)
PG_MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
export PG_CONFIG PG_BIN PG_MAJOR

as_pg() { if [ "$(id -u)" = 0 ]; then sudo -u postgres "$@"; else "$@"; fi; }

pass=0; fail=0
check() {
  if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}
summary() {
  echo "$1: $pass passed, $fail failed"
  [ "$fail" = 0 ]
}
add_counts() {
  local line p f
  line=$(grep -E "^$2: [0-9]+ passed, [0-9]+ failed" "$1" 2>/dev/null | tail -1)
  p=$(echo "$line" | sed -nE 's/.*: ([0-9]+) passed.*/\1/p')
  f=$(echo "$line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-1}))
}
