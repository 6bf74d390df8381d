#!/usr/bin/env python3
"""`audit trace --client` (the rehearsal from a client connection) equals `audit.trace_json()`
in the same database: per statement its transaction, outcome, note, rows, locks (mode,
relation, whether it blocks writes, is the strongest, on an existing table, to which statement
it is held), locks already held, rewrites, scans, lint rules, SQLSTATE and error; every
finding (measured ones included) and the summary. Durations differ between two runs and are
left out (the measured findings' seconds are masked). Scripts: tests/trace.sh's, then the
recipe batch (migrations/safe and migrations/unsafe), each file traced before it is applied.
   tests/trace_db.py PORT DBNAME AUDIT_BINARY"""
import json
import os
import re
import subprocess
import sys
from pathlib import Path

TRACE_SCRIPTS = [
    "ALTER TABLE recipe ALTER COLUMN id TYPE bigint",
    "ALTER TABLE recipe ALTER COLUMN title TYPE varchar(500)",
    "BEGIN;\nALTER TABLE item ADD COLUMN b int;\nALTER TABLE item ALTER COLUMN a TYPE bigint;\nCOMMIT;",
    "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID",
    "ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id)",
    "ALTER TABLE recipe ALTER COLUMN category_id SET NOT NULL",
    "BEGIN;\nALTER TABLE recipe ADD COLUMN notes text;\nUPDATE recipe SET servings = 2 WHERE id > 0;\n"
    "SELECT pg_sleep(0.1);\nCOMMIT;\nSELECT pg_sleep(0.1);",
    "BEGIN; CREATE TABLE t1 (a int); ROLLBACK;\nCREATE TABLE t1 (a int);",
    "CREATE UNIQUE INDEX CONCURRENTLY recipe_id_title ON recipe (id, title);\n"
    "ALTER TABLE recipe ADD CONSTRAINT recipe_id_title_key UNIQUE USING INDEX recipe_id_title;\nVACUUM recipe;",
    "SELECT audit.assert_not_in_transaction();\nCREATE INDEX CONCURRENTLY recipe_servings_idx ON recipe (servings);\n"
    "BEGIN;\nSELECT audit.assert_not_in_transaction();",
    "DO $$ BEGIN COMMIT; END $$",
    "ALTER TABLE recipe ADD COLUMN z int; SELECT 1/0; ALTER TABLE recipe ADD COLUMN y int",
    "-- audit:ignore rewrites-table planned downtime\nALTER TABLE recipe ALTER COLUMN id TYPE bigint;",
    "UPDATE recipe SET servings = 1 WHERE id <= 1000",
    "INSERT INTO item SELECT g, g FROM generate_series(3001, 3100) g RETURNING id",
    "DROP INDEX CONCURRENTLY IF EXISTS no_such_idx; CREATE INDEX item_a_idx ON item (a); DROP INDEX item_a_idx;",
    "SET lock_timeout = '1s'; ALTER TABLE item ADD COLUMN c int DEFAULT random()::int;",
]

LOCK_FIELDS = ["relation", "mode", "blocks_writes", "strongest", "existing", "released_after"]
STATEMENT_FIELDS = ["statement", "line", "xact", "query", "outcome", "note", "rows",
                    "already_held", "rewritten", "scanned", "lint_rules", "sqlstate", "error"]
FINDING_FIELDS = ["statement", "line", "rule", "severity", "lock", "hint", "ignored", "table",
                  "measured"]
SUMMARY_FIELDS = ["statements", "executed", "errors", "failed_statement", "sqlstate",
                  "lock_timeout", "rolled_back"]
SECONDS = re.compile(r"\d+(\.\d+)? s\b")


def normal(doc):
    out = {"statements": [], "findings": [], "summary": {}}
    for s in doc["statements"]:
        row = {k: s.get(k) for k in STATEMENT_FIELDS}
        row["locks"] = [{k: l[k] for k in LOCK_FIELDS} for l in s["locks"]]
        out["statements"].append(row)
    for f in doc["findings"]:
        row = {k: f.get(k) for k in FINDING_FIELDS}
        row["message"] = SECONDS.sub("N s", f["message"])
        out["findings"].append(row)
    out["summary"] = {k: doc["summary"].get(k) for k in SUMMARY_FIELDS}
    return out


def main():
    port, db, audit = sys.argv[1], sys.argv[2], sys.argv[3]
    env = dict(os.environ)
    # the same plans on both sides: a parallel worker's reads are counted in its own backend
    env["PGOPTIONS"] = ("-c client_min_messages=warning -c audit.enforcement=off "
                        "-c max_parallel_maintenance_workers=0 -c max_parallel_workers_per_gather=0")
    psql = ["psql", "-X", "-q", "-At", "-h", "/tmp", "-p", port, "-U", "postgres", "-d", db]
    url = f"postgresql://postgres@/{db}?host=/tmp&port={port}"
    checks = failed = 0

    def compare(name, script, autocommit):
        nonlocal checks, failed, url
        q = ("SELECT audit.trace_json(:'s', hold_threshold => '1h', autocommit => "
             + ("true" if autocommit else "false") + ")")
        a = subprocess.run(psql + ["-v", f"s={script}"], input=q, capture_output=True, text=True,
                           env=env)
        cmd = [audit, "trace", "--client", "--db", url, "--format", "json", "--hold-threshold", "1h", "-"]
        if autocommit:
            cmd.insert(2, "--autocommit")
        b = subprocess.run(cmd, input=script, capture_output=True, text=True, env=env)
        checks += 1
        try:
            da, db_ = normal(json.loads(a.stdout)), normal(json.loads(b.stdout))
        except (ValueError, KeyError) as e:
            failed += 1
            print(f"FAIL {name}: no report ({e}): {a.stderr.strip()[:300]} | {b.stderr.strip()[:300]}")
            return
        if da == db_:
            n = len(da["statements"])
            print(f"ok   {name}: {n} statements, {len(da['findings'])} findings equal")
        else:
            failed += 1
            print(f"FAIL {name}")
            for part in ("statements", "findings"):
                xs, ys = da[part], db_[part]
                for x, y in zip(xs, ys):
                    if x != y:
                        keys = sorted(k for k in x if x.get(k) != y.get(k))
                        print(f"  {part} differ in {keys}:\n    audit.trace(): {json.dumps(x)[:1200]}\n"
                              f"    audit trace:   {json.dumps(y)[:1200]}")
                        break
                if len(xs) != len(ys):
                    print(f"  {part}: {len(xs)} against {len(ys)}")
            if da["summary"] != db_["summary"]:
                print(f"  summary: {da['summary']} against {db_['summary']}")

    for i, script in enumerate(TRACE_SCRIPTS, 1):
        compare(f"trace script {i}", script, autocommit="CONCURRENTLY recipe_id_title" in script)

    # the recipe batch, on the recipe application's schema: each file traced, then applied
    admin = psql[:-1] + ["postgres"]
    for batch in ("safe", "unsafe"):
        bdb = db + "_batch"
        subprocess.run(admin + ["-c", f"DROP DATABASE IF EXISTS {bdb}", "-c", f"CREATE DATABASE {bdb}"],
                       check=True, capture_output=True, env=env)
        psql[-1] = bdb
        url = f"postgresql://postgres@/{bdb}?host=/tmp&port={port}"
        subprocess.run(psql + ["-c", "CREATE EXTENSION audit"], check=True, capture_output=True, env=env)
        for f in ("schema", "data"):
            subprocess.run(psql + ["-v", "ON_ERROR_STOP=1", "-v", "scale=0.02", "-f",
                                   f"migrations/base/{f}.sql"], check=True, capture_output=True,
                           env=env)
        subprocess.run(psql + ["-c", "VACUUM ANALYZE"], check=True, capture_output=True, env=env)
        for path in sorted(Path(f"migrations/{batch}").glob("*.sql")):
            compare(f"{batch}/{path.name}", path.read_text(), autocommit=True)
            subprocess.run(psql + ["-f", str(path)], capture_output=True, env=env)
        subprocess.run(admin + ["-c", f"DROP DATABASE {bdb}"], capture_output=True, env=env)
    print(f"trace-db equality: {checks - failed} of {checks} scripts equal")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
