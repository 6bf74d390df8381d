#!/usr/bin/env bash
# The main job: sets everything up on a fresh Debian 12 machine, builds and installs the
# extension and the `audit` tool, starts a throwaway PostgreSQL cluster (pg_stat_statements and
# audit preloaded) and follows the runbook on the recipe application's migration batch:
#   1. staging and production: two copies of the recipe database (scripts/recipes.sh);
#   2. `audit validate` on staging: preflight, lint, baseline and restore point, the batch
#      applied under enforcement while the application's queries run (--workload), then
#      verification, performance (20% threshold), row counts and the verdict;
#   3. `audit deploy` to production, only if staging said proceed, gated by that report;
#   4. the unsafe first draft of the same batch on a third copy: what `audit validate` says
#      before anything runs, and what the event trigger refuses when it is run anyway.
# Exit status: 0 staging said proceed and production deployed, 1 defer or a failed deploy, 2
# the demo could not run. Options: --scale S (data size, default 1), --window DURATION
# (default 15s), --reuse (keep generated data); AUDIT_PG=16|17|18 picks another PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
SCALE=1; WINDOW=15s; REUSE=
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE=$2; shift 2 ;;
    --window) WINDOW=$2; shift 2 ;;
    --reuse) REUSE=--reuse; shift ;;
    *) echo "demo.sh: unknown option $1 (--scale S, --window DURATION, --reuse)" >&2; exit 2 ;;
  esac
done
scripts/setup.sh
scripts/install.sh
. scripts/lib.sh
cargo build -q --release -p audit-cli
AUDIT=$PWD/target/release/audit
PORT=${AUDIT_DEMO_PORT:-54330}
DATA=${AUDIT_DEMO_DATA:-/tmp/audit-demo/data}
OUT=target/demo; rm -rf "$OUT"; mkdir -p "$OUT"
mkdir -p "$(dirname "$DATA")"; [ "$(id -u)" = 0 ] && chown postgres:postgres "$(dirname "$DATA")"
AUDIT_PRELOAD=pg_stat_statements,audit scripts/cluster.sh start "$DATA" "$PORT"
trap 'scripts/cluster.sh stop "$DATA"' EXIT

echo "== 1. Staging and production: copies of the recipe database (scale $SCALE)"
read -r RECIPES USERS < <(scripts/recipes.sh "$PORT" --scale "$SCALE" $REUSE recipes_staging recipes_prod recipes_unsafe)

echo
echo "== 2. audit validate on staging"
set +e
"$AUDIT" validate --db "$(db_url recipes_staging)" --migrations migrations/safe \
  --workload migrations/workload.sql -D recipes="$RECIPES" -D users="$USERS" --clients 2 --rate 100 \
  --window "$WINDOW" --out "$OUT/staging"
verdict=$?
set -e
if [ "$verdict" != 0 ]; then
  echo "staging said defer (or could not validate): production is not touched. docs/runbook.md says what to do about each blocker."
  exit "$verdict"
fi

echo
echo "== 3. audit deploy to production, gated by the staging report"
set +e
"$AUDIT" deploy --db "$(db_url recipes_prod)" --migrations migrations/safe \
  --staging-report "$OUT/staging/report.json" --out "$OUT/production"
deployed=$?
set -e

echo
echo "== 4. The unsafe first draft (migrations/unsafe), on a third copy"
set +e
"$AUDIT" validate --db "$(db_url recipes_unsafe)" --migrations migrations/unsafe --skip-performance \
  --out "$OUT/unsafe" -q | sed -n '/^== Verdict/,$p'
set -e
echo
echo "-- and run anyway with psql, what the event trigger refuses:"
printf '%-34s %-9s %-26s %s\n' "migration" "outcome" "rule" "why"
for f in migrations/unsafe/0*.sql; do
  out=$(PGOPTIONS="-c client_min_messages=warning" psql -X -q -v ON_ERROR_STOP=1 -h /tmp -p "$PORT" -U postgres -d recipes_unsafe -f "$f" 2>&1) && rc=0 || rc=$?
  if [ "$rc" = 0 ]; then
    why=$(echo "$out" | sed -n 's/.*WARNING:  //p' | head -1)
    rule=$(echo "$out" | sed -n 's/^DETAIL:  Rule \([a-z-]*\).*/\1/p' | head -1)
    outcome=$([ -n "$why" ] && echo warned || echo applied)
  else
    why=$(echo "$out" | grep -m1 'ERROR:' | sed 's/.*ERROR:  *//')
    rule=$(echo "$out" | sed -n '/ERROR:/,$ s/^DETAIL:  Rule \([a-z-]*\).*/\1/p' | head -1)
    outcome=$([ -n "$rule" ] && echo refused || echo failed)
  fi
  printf '%-34s %-9s %-26s %s\n' "$(basename "$f")" "$outcome" "${rule:--}" "${why:--}"
done
echo
echo "reports: $OUT/staging/report.{json,md}, $OUT/production/report.{json,md}"
echo "cluster log: $DATA/server.log (the cluster is stopped on exit)"
exit "$deployed"
