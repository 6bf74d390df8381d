#!/usr/bin/env bash
# PostgreSQL 15's own regression SQL (src/test/regress/sql/*.sql from Debian's source package,
# fetched by scripts/setup.sh into target/pgsrc, never committed):
#  1. every file through audit.lint() (whole file, and statement by statement when the file
#     does not parse as one script): no crash, no panic text, every rejection with a SQLSTATE;
#  2. the DDL-heavy files executed twice from a fresh database, without audit and with its
#     triggers in warn mode: the same sequence of errors (SQLSTATEs) both times, so audit adds
#     none of its own, and no crash.
#   tests/pg_regress_sql.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. "$(dirname "$0")/../scripts/lib.sh"
use_server "$PORT"
SRCROOT=$PWD/target/pgsrc

# --- the source, fetched by scripts/setup.sh ---
REG=$(ls -d "$SRCROOT"/postgresql-15*/src/test/regress 2>/dev/null | head -1)
if [ -z "$REG" ]; then echo "FAIL no PostgreSQL 15 source under $SRCROOT (scripts/setup.sh fetches it)"; echo "pgregress: 0 passed, 1 failed"; exit 1; fi
chmod -R a+rX "$SRCROOT"
echo "source: $REG ($(ls "$REG"/sql/*.sql | wc -l) files)"

# --- 1. lint every file ---
DB=audit_pgsql
fresh_db "$DB"
"${P[@]}" -d "$DB" -c "CREATE EXTENSION audit" -c "CREATE TABLE src (file text, part int, sql text)" -c "CREATE TABLE outcome (file text, part int, sqlstate text, message text)" >/dev/null
python3 - "$REG/sql" > "$SRCROOT/src.copy" <<'PY'
import os, re, sys
d = sys.argv[1]
def strip(text):
    out, skip = [], False
    for line in text.splitlines():
        if skip:
            skip = line.strip() != "\\."
            continue
        if line.lstrip().startswith("\\"):
            continue
        if re.match(r"(?i)^\s*copy\b.*\bfrom\s+stdin", line):
            skip = True
            continue
        out.append(line)
    return "\n".join(out)
def split(text):
    parts, cur, i, n = [], [], 0, len(text)
    while i < n:
        c = text[i]
        if c == "'" :
            j = text.find("'", i + 1)
            while j != -1 and j + 1 < n and text[j + 1] == "'":
                j = text.find("'", j + 2)
            j = n - 1 if j == -1 else j
            cur.append(text[i:j + 1]); i = j + 1; continue
        if c == "$":
            m = re.match(r"\$[A-Za-z_]*\$", text[i:])
            if m:
                tag = m.group(0); j = text.find(tag, i + len(tag))
                j = n if j == -1 else j + len(tag)
                cur.append(text[i:j]); i = j; continue
        if c == "-" and text.startswith("--", i):
            j = text.find("\n", i); j = n if j == -1 else j
            cur.append(text[i:j]); i = j; continue
        if c == ";":
            parts.append("".join(cur) + ";"); cur = []; i += 1; continue
        cur.append(c); i += 1
    if "".join(cur).strip():
        parts.append("".join(cur))
    return parts
esc = lambda s: s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r").replace("\0", "")
for f in sorted(os.listdir(d)):
    if not f.endswith(".sql"):
        continue
    text = strip(open(os.path.join(d, f), encoding="utf-8", errors="replace").read())
    print(f"{f}\t0\t{esc(text)}")
    for k, p in enumerate(split(text), 1):
        print(f"{f}\t{k}\t{esc(p)}")
PY
"${P[@]}" -d "$DB" -c "\copy src FROM '$SRCROOT/src.copy'" >/dev/null
"${P[@]}" -d "$DB" -c "
DO \$\$ DECLARE r record; whole_ok boolean;
BEGIN
  FOR r IN SELECT * FROM src WHERE part = 0 ORDER BY file LOOP
    whole_ok := true;
    BEGIN PERFORM count(*) FROM audit.lint(r.sql);
    EXCEPTION WHEN OTHERS THEN whole_ok := false;
      INSERT INTO outcome VALUES (r.file, 0, SQLSTATE, SQLERRM); END;
    IF NOT whole_ok THEN
      DECLARE p record; BEGIN
        FOR p IN SELECT * FROM src WHERE file = r.file AND part > 0 ORDER BY part LOOP
          BEGIN PERFORM count(*) FROM audit.lint(p.sql);
          EXCEPTION WHEN OTHERS THEN INSERT INTO outcome VALUES (p.file, p.part, SQLSTATE, SQLERRM); END;
        END LOOP;
      END;
    END IF;
  END LOOP;
END \$\$" >/dev/null 2>"$SRCROOT/lint.err"
check "lint: every file went through without a backend crash" "$?"
files=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM src WHERE part = 0")
whole=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM src s WHERE part = 0 AND NOT EXISTS (SELECT 1 FROM outcome o WHERE o.file = s.file AND o.part = 0)")
stmts=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM src s WHERE part > 0 AND EXISTS (SELECT 1 FROM outcome o WHERE o.file = s.file AND o.part = 0)")
errs=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM outcome WHERE part > 0")
echo "  $files files: $whole linted whole; the rest statement by statement ($stmts statements, $errs rejected: the files' own intentional syntax errors)"
bad=$("${P[@]}" -d "$DB" -c "SELECT count(*) FROM outcome WHERE sqlstate IS NULL OR sqlstate = '' OR message ~* '(panick|unwrap\(\)|RUST_BACKTRACE)'")
check "lint: every rejection has a SQLSTATE, no panic text ($bad bad)" "$([ "$bad" = 0 ]; echo $?)"
"${P[@]}" -d postgres -c "DROP DATABASE $DB" >/dev/null

# --- 2. execute the DDL-heavy files without and with audit (warn) ---
FILES="test_setup create_table create_index alter_table constraints foreign_key inherit triggers indexing event_trigger"
run_files() { # db -> error sqlstates, one per line
  local db=$1
  for f in $FILES; do
    PGOPTIONS="-c client_min_messages=warning" psql -X -q -h /tmp -p "$PORT" -U postgres -d "$db" \
      -v VERBOSITY=sqlstate -v abs_srcdir="$REG" -v abs_builddir="$REG" -v libdir=/nonexistent \
      -v dlsuffix=.so -v regresslib=/nonexistent/regress.so -f "$REG/sql/$f.sql" 2>&1 \
      | grep -oE "ERROR:  [0-9A-Z]{5}" | sed "s/^/$f /"
  done
}
for db in audit_pgx_plain audit_pgx_warn; do
  fresh_db "$db"
done
"${P[@]}" -d audit_pgx_warn -c "CREATE EXTENSION audit" -c "ALTER DATABASE audit_pgx_warn SET audit.enforcement = warn" >/dev/null
# "without audit": with the library preloaded its hook also enforces in databases without the
# extension, so that one is switched off there
"${P[@]}" -d postgres -c "ALTER DATABASE audit_pgx_plain SET audit.enforcement = off" >/dev/null
run_files audit_pgx_plain > "$SRCROOT/errors.plain"
run_files audit_pgx_warn > "$SRCROOT/errors.warn"
alive=$("${P[@]}" -d postgres -c "SELECT 1")
check "execute: server alive after the DDL-heavy files" "$([ "$alive" = 1 ]; echo $?)"
echo "  errors without audit: $(wc -l < "$SRCROOT/errors.plain"), with audit in warn mode: $(wc -l < "$SRCROOT/errors.warn")"
diff "$SRCROOT/errors.plain" "$SRCROOT/errors.warn" > "$SRCROOT/errors.diff"
check "execute: audit in warn mode adds no error (same SQLSTATE sequence)" "$?"
[ -s "$SRCROOT/errors.diff" ] && head -20 "$SRCROOT/errors.diff"
warned=$("${P[@]}" -d audit_pgx_warn -c "SELECT count(*) FROM audit.ddl_log" 2>/dev/null || echo 0)
echo "  audit warned about $warned committed statements of those files"
for db in audit_pgx_plain audit_pgx_warn; do "${P[@]}" -d postgres -c "DROP DATABASE $db" >/dev/null 2>&1; done
summary pgregress
