#!/usr/bin/env bash
# A throwaway PostgreSQL cluster (of $PG_CONFIG, scripts/lib.sh), run as the `postgres` OS user (initdb refuses root).
# AUDIT_PRELOAD sets shared_preload_libraries (default: pg_stat_statements,audit).
#   scripts/cluster.sh start DIR PORT [extra postgresql.conf lines...]
#   scripts/cluster.sh stop DIR
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
BIN=$PG_BIN
cmd=${1:?start|stop}; dir=${2:?data directory}
case "$cmd" in
  start)
    port=${3:?port}; shift 3
    if [ -f "$dir/postmaster.pid" ]; then pg_ctl_as_pg -D "$dir" -m immediate stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"; mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$dir"
    as_pg "$BIN/initdb" -D "$dir" -U postgres --auth=trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 \
      || { cat "$dir.initdb.log"; exit 1; }
    {
      echo "port = $port"
      echo "listen_addresses = ''"
      echo "unix_socket_directories = '/tmp'"
      echo "fsync = off"
      echo "shared_preload_libraries = '${AUDIT_PRELOAD-pg_stat_statements,audit}'"
      for line in "$@"; do echo "$line"; done
    } >> "$dir/postgresql.conf"
    pg_ctl_as_pg -D "$dir" -l "$dir/server.log" -w start >/dev/null
    ;;
  stop)
    [ -f "$dir/postmaster.pid" ] && pg_ctl_as_pg -D "$dir" -m fast -w stop >/dev/null || true
    ;;
  *) echo "usage: $0 start DIR PORT | stop DIR" >&2; exit 2 ;;
esac
