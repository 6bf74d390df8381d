#!/usr/bin/env bash
# One engine, proven: every tests/corpus/*.sql goes through both front ends -- the server's
# parser inside the extension (audit.statement_model / audit.lint) and pg_query offline
# (audit lint --format model / rows) -- and the models and findings must be identical, and
# equal to tests/corpus/*.expected. Runs against a fresh database with only the extension, so
# no catalog fact is involved. Then tests/labelled/cases.txt through audit.lint.
#   scripts/corpus.sh PORT
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
cargo build -q -p audit-cli
LINT=(target/debug/audit lint)
export PGOPTIONS="-c client_min_messages=warning"
PSQL=(psql -X -q -At -h /tmp -p "$PORT" -U postgres)
"${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS audit_corpus" -c "CREATE DATABASE audit_corpus"
"${PSQL[@]}" -d audit_corpus -c "CREATE EXTENSION audit"
for f in tests/corpus/*.sql; do
  name=$(basename "$f" .sql)
  server_model=$(echo "SELECT statement || '|' || line || '|' || model FROM audit.statement_model(:'m')" \
    | "${PSQL[@]}" -d audit_corpus -v "m=$(cat "$f")")
  offline_model=$("${LINT[@]}" --format model "$f" || true)
  server_rows=$(echo "SELECT statement || '|' || line || '|' || rule FROM audit.lint(:'m') WHERE ignored IS NULL" \
    | "${PSQL[@]}" -d audit_corpus -v "m=$(cat "$f")")
  offline_rows=$("${LINT[@]}" --format rows "$f" || true)
  expected=$(cat "tests/corpus/$name.expected")
  ok=1
  if [ "$server_model" != "$offline_model" ]; then
    ok=0; echo "corpus $name: models differ"; diff <(echo "$server_model") <(echo "$offline_model") | head -20
  fi
  if [ "$server_rows" != "$offline_rows" ]; then
    ok=0; echo "corpus $name: findings differ (server < > offline)"; diff <(echo "$server_rows") <(echo "$offline_rows") | head -20
  fi
  if [ "$offline_rows" != "$expected" ]; then
    ok=0; echo "corpus $name: findings differ from $name.expected (expected < > got)"; diff <(echo "$expected") <(echo "$offline_rows") | head -20
  fi
  check "corpus $name: both front ends agree with $name.expected" "$([ $ok = 1 ]; echo $?)"
done
# the labelled snippets (one per hazard and safe form) through audit.lint; the offline side is
# crates/cli/tests/labelled.rs
set +e
python3 tests/labelled/server.py "$PORT" audit_corpus > target/labelled.txt
set -e
grep -v '^labelled: [0-9]* passed' target/labelled.txt || true
add_counts target/labelled.txt labelled
summary corpus
