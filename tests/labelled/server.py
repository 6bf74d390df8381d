#!/usr/bin/env python3
"""tests/labelled/cases.txt (generated from the rule files) through audit.lint() on a live
server (the offline side is crates/cli/tests/labelled.rs).   tests/labelled/server.py PORT DBNAME"""
import subprocess
import sys
from pathlib import Path


def cases(path):
    out, cur = [], None
    for line in Path(path).read_text().splitlines(keepends=True):
        if line.startswith("## "):
            rule, want, *note = line[3:].split(None, 2)
            note = "".join(note).strip()
            major = None
            if note.startswith("pg") and note[2:].split(" ")[0].isdigit():
                major, _, note = note[2:].partition(" ")
                major = int(major)
            cur = {"rule": rule, "want": want == "yes", "note": note, "major": major, "sql": ""}
            out.append(cur)
        elif cur is not None:
            cur["sql"] += line
    return out


def main():
    port, db = sys.argv[1], sys.argv[2]
    psql = ["psql", "-X", "-q", "-At", "-h", "/tmp", "-p", port, "-U", "postgres", "-d", db]
    server_major = int(subprocess.run(psql + ["-c", "SHOW server_version_num"], capture_output=True,
                                      text=True, check=True).stdout.strip()) // 10000
    # cases written for one PostgreSQL version are checked on a server of that version only
    all_cases = [c for c in cases(Path(__file__).with_name("cases.txt"))
                 if c["major"] in (None, server_major)]
    levels = subprocess.run(
        psql + ["-c", "SELECT string_agg(code || '=warn', ',') FROM audit.rules WHERE NOT default_on"],
        capture_output=True, text=True, check=True).stdout.strip()
    script = ["SET client_min_messages = error;"]
    for n, c in enumerate(all_cases):
        assert "$lab$" not in c["sql"]
        script.append(
            f"SELECT {n}, count(*) FROM audit.lint($lab${c['sql']}$lab$, '{levels}') "
            f"WHERE rule = '{c['rule']}' AND ignored IS NULL;")
    res = subprocess.run(psql, input="\n".join(script), capture_output=True, text=True)
    got = {}
    for line in res.stdout.splitlines():
        n, count = line.split("|")
        got[int(n)] = int(count) > 0
    failed = 0
    for n, c in enumerate(all_cases):
        if got.get(n) != c["want"]:
            failed += 1
            state = "error" if n not in got else ("flagged" if got[n] else "not flagged")
            print(f"labelled: {c['rule']} ({c['note']}) expected {'flagged' if c['want'] else 'not flagged'}, got {state}")
    print(f"labelled: {len(all_cases) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
