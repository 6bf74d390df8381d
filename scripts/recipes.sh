#!/usr/bin/env bash
# The recipe application's database for the demo: the schema of migrations/base with generated
# data (at scale 1: 300,000 recipes, 1.2 million recipe ingredients, 600,000 ratings), kept as
# the template database recipes_base and copied into each DATABASE named, fresh. Prints the
# tables' sizes and, last, "RECIPES USERS" (the highest ids, for the workload's variables).
#   scripts/recipes.sh PORT [--scale S] [--reuse] DATABASE...
# --reuse keeps an existing recipes_base of the same scale instead of generating it again.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
PORT=${1:?port}; shift
SCALE=1; REUSE=; DBS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --scale) SCALE=$2; shift 2 ;;
    --reuse) REUSE=1; shift ;;
    -*) echo "recipes.sh: unknown option $1" >&2; exit 2 ;;
    *) DBS+=("$1"); shift ;;
  esac
done
export PGHOST=/tmp PGPORT=$PORT PGUSER=postgres PGOPTIONS="-c client_min_messages=warning"
Q=(psql -X -q -At -v ON_ERROR_STOP=1)
BASE=recipes_base
have=$("${Q[@]}" -d postgres -c "SELECT count(*) FROM pg_database WHERE datname = '$BASE'")
if [ -z "$REUSE" ] || [ "$have" = 0 ] || [ "$("${Q[@]}" -d "$BASE" -c "SELECT coalesce(obj_description('recipes'::regclass), '')" 2>/dev/null)" != "scale $SCALE" ]; then
  t0=$(date +%s)
  "${Q[@]}" -d postgres -c "DROP DATABASE IF EXISTS $BASE" -c "CREATE DATABASE $BASE"
  "${Q[@]}" -d "$BASE" -c "CREATE EXTENSION audit" -c "CREATE EXTENSION pg_stat_statements" \
    -f migrations/base/schema.sql >/dev/null
  "${Q[@]}" -d "$BASE" -v scale="$SCALE" -f migrations/base/data.sql >/dev/null
  "${Q[@]}" -d "$BASE" -c "COMMENT ON TABLE recipes IS 'scale $SCALE'" -c "VACUUM ANALYZE" >/dev/null 2>&1
  echo "recipes_base generated at scale $SCALE in $(( $(date +%s) - t0 )) s" >&2
fi
for d in "${DBS[@]}"; do
  "${Q[@]}" -d postgres -c "DROP DATABASE IF EXISTS $d" -c "CREATE DATABASE $d TEMPLATE $BASE"
done
psql -X -q -P footer=off -d "$BASE" -c "SELECT c.relname AS \"table\", to_char(c.reltuples::bigint, 'FM9,999,999') AS rows,
         pg_size_pretty(pg_total_relation_size(c.oid)) AS size
    FROM pg_class c WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
   ORDER BY c.reltuples DESC" >&2
"${Q[@]}" -d "$BASE" -c "SELECT max(id) FROM recipes" -c "SELECT max(id) FROM users" | paste -sd' ' -
