#!/usr/bin/env python3
"""`audit lint --db` equals `audit.lint()` in the same database: every finding's statement,
line, rule, severity, message, lock, hint, suppression, relation, rows and bytes, for every
corpus file and every rule's snippets (tests/labelled/cases.txt), opt-in rules switched on.
Also: the tool's catalog takes the same few queries whatever the number of statements.
   tests/lint_db.py PORT DBNAME AUDIT_BINARY"""
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "labelled"))
from server import cases  # noqa: E402

FIELDS = ["statement", "line", "rule", "severity", "message", "lock", "hint", "ignored",
          "relation", "table_rows", "table_bytes"]


def main():
    port, db, audit = sys.argv[1], sys.argv[2], sys.argv[3]
    psql = ["psql", "-X", "-q", "-At", "-h", "/tmp", "-p", port, "-U", "postgres", "-d", db]
    url = f"postgresql://postgres@/{db}?host=/tmp&port={port}"
    major = int(subprocess.run(psql + ["-c", "SHOW server_version_num"], capture_output=True,
                               text=True, check=True).stdout.strip()) // 10000
    optin = subprocess.run(psql + ["-c", "SELECT string_agg(code, ',') FROM audit.rules WHERE NOT default_on"],
                           capture_output=True, text=True, check=True).stdout.strip().split(",")
    levels = ",".join(f"{c}=warn" for c in optin)
    scripts = [(f"corpus {p.stem}", p.read_text()) for p in sorted(Path("tests/corpus").glob("*.sql"))]
    scripts += [(f"snippet {c['rule']} ({c['note']})", c["sql"])
                for c in cases(Path("tests/labelled/cases.txt")) if c["major"] in (None, major)]
    # the server's findings, one psql session for all
    script = ["SET client_min_messages = error;", "\\set ON_ERROR_STOP 0"]
    for n, (_, sql) in enumerate(scripts):
        assert "$lab$" not in sql
        script.append(
            f"SELECT {n}, coalesce(json_agg(json_build_array({', '.join(FIELDS)})), '[]') "
            f"FROM audit.lint($lab${sql}$lab$, '{levels}');")
    res = subprocess.run(psql, input="\n".join(script), capture_output=True, text=True)
    server = {}
    for line in res.stdout.splitlines():
        n, rows = line.split("|", 1)
        server[int(n)] = json.loads(rows)
    failed = passed = 0
    trips = set()
    for n, (name, sql) in enumerate(scripts):
        args = [audit, "lint", "--db", url, "--format", "json", "-"]
        for c in optin:
            args += ["--rule-level", f"{c}=warn"]
        out = subprocess.run(args, input=sql, capture_output=True, text=True)
        try:
            report = json.loads(out.stdout)
        except json.JSONDecodeError:
            failed += 1
            print(f"lint-db: {name}: the tool failed: {out.stderr.strip()}")
            continue
        f = report["files"][0]
        trips.add(report.get("round_trips"))
        if n not in server:
            # the server refused the script: the tool must not have linted it either
            if f["parse_error"] is None:
                failed += 1
                print(f"lint-db: {name}: the server did not parse it, the tool did")
            else:
                passed += 1
            continue
        tool = [[x.get(k) for k in FIELDS] for x in f["findings"]]
        if f["parse_error"] is not None or tool != server[n]:
            failed += 1
            print(f"lint-db: {name}: findings differ")
            for row in server[n]:
                if row not in tool:
                    print(f"  server only: {row}")
            for row in tool:
                if row not in server[n]:
                    print(f"  tool only:   {row}")
            if f["parse_error"] is not None:
                print(f"  tool parse error: {f['parse_error']}")
        else:
            passed += 1
    print(f"lint-db: equal on {passed} scripts; the tool's catalog queries per script: {sorted(t for t in trips if t)}")
    # round trips do not grow with statements: one statement against many of it
    one = "ALTER TABLE users ADD COLUMN c1 int DEFAULT random()::int;\n"
    many = "".join(f"ALTER TABLE users ADD COLUMN c{i} int DEFAULT random()::int;\n"
                   f"CREATE INDEX ON recipe (c{i});\n" for i in range(1, 301))
    counts = []
    for sql in (one, many):
        out = subprocess.run([audit, "lint", "--db", url, "--format", "json", "-"], input=sql,
                             capture_output=True, text=True)
        counts.append(json.loads(out.stdout)["round_trips"])
    if counts[0] == counts[1]:
        passed += 1
        print(f"ok   round trips: {counts[0]} for 1 statement, {counts[1]} for 600")
    else:
        failed += 1
        print(f"FAIL round trips: {counts[0]} for 1 statement, {counts[1]} for 600")
    print(f"lint-db: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
