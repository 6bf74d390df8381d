#!/usr/bin/env bash
# The main job: sets everything up on a fresh Debian 12 machine, builds and installs the
# extension, starts a throwaway PostgreSQL cluster (pg_stat_statements and audit preloaded) and
# runs the staging rehearsal of the recipe application's migration batch (scripts/rehearse.sh:
# generated data, a live workload, lint, baseline, restore point, the batch under enforcement,
# verification, performance and row counts, go / no-go, then the unsafe first draft).
# Exit status: 0 proceed, 1 defer, 2 the rehearsal could not run. Options go to rehearse.sh
# (--scale, --window, --fault ...); AUDIT_PG=16|17|18 picks another PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/install.sh
. scripts/lib.sh
PORT=${AUDIT_DEMO_PORT:-54330}
DATA=${AUDIT_DEMO_DATA:-/tmp/audit-demo/data}
mkdir -p "$(dirname "$DATA")"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$(dirname "$DATA")"
AUDIT_PRELOAD=pg_stat_statements,audit scripts/cluster.sh start "$DATA" "$PORT"
trap 'scripts/cluster.sh stop "$DATA"' EXIT
set +e
scripts/rehearse.sh "$PORT" "$@"
rc=$?
echo "cluster log: $DATA/server.log (the cluster is stopped on exit)"
exit $rc
