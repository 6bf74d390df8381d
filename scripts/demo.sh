#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine, builds and installs the extension, starts a
# throwaway PostgreSQL 15 cluster, and runs the example migrations in migrations/ through
# audit.lint() and then through the event trigger, printing what each said.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/install.sh
PORT=${AUDIT_DEMO_PORT:-54330}
DATA=${AUDIT_DEMO_DATA:-/tmp/audit-demo/data}
mkdir -p "$(dirname "$DATA")"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$(dirname "$DATA")"
scripts/cluster.sh start "$DATA" "$PORT"
trap 'scripts/cluster.sh stop "$DATA"' EXIT
PSQL=(psql -X -q -h /tmp -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
"${PSQL[@]}" -c "CREATE EXTENSION audit"
for f in migrations/*.sql; do
  echo
  echo "=== $f"
  echo "--- audit.lint()"
  echo "SELECT statement, line, rule, severity, lock, message FROM audit.lint(:'m')" \
    | "${PSQL[@]}" -v "m=$(cat "$f")" -P footer=on
  echo "--- applied with psql -v ON_ERROR_STOP=1 (audit.enforcement = block)"
  if "${PSQL[@]}" -f "$f" 2>&1; then echo "applied"; else echo "stopped: refused by the event trigger"; fi
done
echo
echo "cluster log: $DATA/server.log (stopped on exit)"
