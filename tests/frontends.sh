#!/usr/bin/env bash
# The two front ends on SQL nobody chose: every input of the fuzz generator (fixed seed) and
# every file of PostgreSQL's own regression SQL goes through the server's parser
# (audit.statement_model()) and through pg_query offline (audit lint --compare-models); the
# statement models must be identical, a syntax error on one side must be one on the other.
#   tests/frontends.sh PORT [N] [SEED]
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}; N=${2:-100000}; SEED=${3:-20261125}
. scripts/lib.sh
use_server "$PORT"
# audit.debug_piece_bytes=1 (test builds): the server cuts every script at every `;` it can, so
# the comparison also holds the piecewise parse to the whole one
export PGOPTIONS="-c client_min_messages=error -c audit.debug_piece_bytes=1"
DB=audit_frontends
WORK=target/frontends; rm -rf "$WORK"; mkdir -p "$WORK"
cargo build -q -p audit-cli
python3 tests/fuzz/gen_inputs.py "$N" "$SEED" tests/corpus/*.sql migrations/*.sql > "$WORK/inputs.copy"
# PostgreSQL's regression files (fetched by scripts/setup.sh), one input each
python3 - "$WORK/inputs.copy" target/pgsrc/postgresql-15*/src/test/regress/sql/*.sql <<'PY'
import sys
with open(sys.argv[1], "a") as out:
    for k, path in enumerate(sys.argv[2:]):
        s = open(path, encoding="utf-8", errors="replace").read().replace("\0", "")
        esc = s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
        out.write(f"{10_000_000 + k}\t{esc}\n")
PY
fresh_db "$DB"
"${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 <<SQL >/dev/null
CREATE EXTENSION audit;
CREATE TABLE input (id int, sql text);
\\copy input FROM '$WORK/inputs.copy'
CREATE TABLE model (id int, sql text, model text);
DO \$\$
DECLARE r record; m text;
BEGIN
  FOR r IN SELECT id, sql FROM input ORDER BY id LOOP
    BEGIN
      SELECT coalesce(string_agg(statement || '|' || line || '|' || s.model, E'\n' ORDER BY n), '')
        INTO m FROM audit.statement_model(r.sql) WITH ORDINALITY AS s(statement, line, model, n);
    EXCEPTION WHEN OTHERS THEN
      -- the server refused the script (syntax error, invalid byte sequence, too deep):
      -- pg_query must refuse it too
      m := NULL;
    END;
    INSERT INTO model VALUES (r.id, r.sql, m);
  END LOOP;
END
\$\$;
SQL
rc=$?
check "every input went through audit.statement_model() (rc $rc)" "$rc"
"${P[@]}" -d "$DB" -c "SELECT json_build_object('id', id, 'sql', sql, 'model', model) FROM model ORDER BY id" > "$WORK/models.jsonl"
echo "inputs: $(wc -l < "$WORK/models.jsonl") ($N generated, the rest PostgreSQL's regression files)"
target/debug/audit lint --compare-models "$WORK/models.jsonl" | tee "$WORK/compare.txt"
add_counts "$WORK/compare.txt" models
"${P[@]}" -d postgres -c "DROP DATABASE $DB" >/dev/null
summary frontends
