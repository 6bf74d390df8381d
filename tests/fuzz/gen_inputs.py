#!/usr/bin/env python3
"""Generated and mutated SQL for the live-server fuzz harness, as COPY text (one input a row).

    tests/fuzz/gen_inputs.py N SEED [seed files...] > inputs.copy

Mutations: truncation, token deletion / duplication / swaps, random punctuation, deep nesting
(parentheses, function calls, arrays, subqueries), huge identifiers and literals, invalid
escapes in E'' and U&'' strings, NUL-free binary noise, keyword soup, thousands of
statements in one string, and DO blocks whose bodies mix all of these. Every input is valid UTF-8 (PostgreSQL text must be) and has no NUL.
"""
import random
import re
import sys

n = int(sys.argv[1])
rng = random.Random(int(sys.argv[2]))
seeds = []
for path in sys.argv[3:]:
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        continue
    seeds.extend(s.strip() for s in text.split(";") if s.strip())
if not seeds:
    seeds = ["CREATE INDEX i ON t (a)", "ALTER TABLE t ADD COLUMN c int DEFAULT random()"]

KEYWORDS = ("ALTER TABLE ADD DROP COLUMN CONSTRAINT FOREIGN KEY REFERENCES CHECK NOT VALID VALIDATE "
            "INDEX CONCURRENTLY UNIQUE PRIMARY CREATE IF EXISTS TYPE USING SET DEFAULT NULL BEGIN "
            "COMMIT ROLLBACK RENAME TO TRUNCATE CASCADE VACUUM FULL CLUSTER REINDEX REFRESH "
            "MATERIALIZED VIEW ON ( ) , ; int bigint text varchar(10) numeric(10,2) timestamp "
            "GENERATED ALWAYS AS IDENTITY STORED EXCLUDE gist WITH && LOCK_TIMEOUT lock_timeout "
            "'2s' 0 1 t c x DOMAIN TRIGGER EXECUTE FUNCTION PARTITION DETACH ATTACH OF FOR VALUES").split()


def tokens(s):
    return re.findall(r"\w+|'[^']*'|\S", s)


def mutate(s):
    t = tokens(s)
    k = rng.random()
    if not t:
        return s
    if k < 0.15:
        return s[: rng.randrange(len(s) + 1)]
    if k < 0.30:
        del t[rng.randrange(len(t))]
    elif k < 0.45:
        i = rng.randrange(len(t))
        t.insert(i, t[i])
    elif k < 0.60:
        i, j = rng.randrange(len(t)), rng.randrange(len(t))
        t[i], t[j] = t[j], t[i]
    elif k < 0.75:
        t.insert(rng.randrange(len(t) + 1), rng.choice("()[],;:.'\"$-/*+=<>!@#%^&|~`\\"))
    else:
        t.insert(rng.randrange(len(t) + 1), rng.choice(KEYWORDS))
    return " ".join(t)


def deep():
    d = rng.choice([10, 100, 1000, 5000, 20000]) if rng.random() < 0.2 else rng.choice([5, 20, 50])
    kind = rng.randrange(6)
    if kind == 0:
        return "SELECT " + "(" * d + "1" + ")" * d
    if kind == 1:
        return "ALTER TABLE t ADD COLUMN c int DEFAULT " + "abs(" * d + "1" + ")" * d
    if kind == 2:
        return "SELECT ARRAY" + "[" * d + "1" + "]" * d
    if kind == 3:
        return "SELECT " + "(SELECT " * min(d, 2000) + "1" + ")" * min(d, 2000)
    if kind == 4:
        return "CREATE TABLE t (c int CHECK (" + " AND ".join(["c > 0"] * d) + "))"
    return "ALTER TABLE t ADD COLUMN c int DEFAULT " + " + ".join(["random()"] * d)


def huge():
    size = rng.choice([100000, 1000000]) if rng.random() < 0.02 else rng.choice([64, 300, 5000])
    kind = rng.randrange(4)
    if kind == 0:
        return f"CREATE TABLE {'a' * size} (id int)"
    if kind == 1:
        return f'CREATE INDEX "{"x" * size}" ON t (a)'
    if kind == 2:
        return f"COMMENT ON TABLE t IS '{'z' * size}'"
    return f"ALTER TABLE t ADD COLUMN c text DEFAULT $q${'q' * size}$q$"


def escapes():
    return rng.choice([
        r"SELECT E'\xff\xfe'", r"SELECT E'\xC3\x28'", r"SELECT U&'\D800'", r"SELECT U&'\+110000'",
        r"SELECT E'\u0000'", r"SELECT E'\777'", r"COMMENT ON TABLE t IS E'\xed\xa0\x80'",
        r"SELECT U&'d!0061t!+000061' UESCAPE '!'", r"SELECT U&'\0041' UESCAPE ''", "SELECT 'unterminated",
        "SELECT $a$ unterminated", 'CREATE TABLE "unterminated (id int)', "/* unterminated comment",
        "SELECT 1 /* /* nested */ still open", "SELECT B'102'", "SELECT X'GG'", "SELECT 1e999999999",
    ])


def noise():
    b = bytes(rng.randrange(1, 256) for _ in range(rng.randrange(1, 400)))
    return b.decode("utf-8", errors="replace")


def soup():
    return " ".join(rng.choice(KEYWORDS) for _ in range(rng.randrange(1, 60)))


def many():
    k = rng.choice([1000, 5000, 10000]) if rng.random() < 0.1 else rng.choice([50, 200])
    stmt = rng.choice(["ALTER TABLE t ADD COLUMN c{} int;", "CREATE INDEX i{} ON t (a);", "SET lock_timeout = {};", ";"])
    return "\n".join(stmt.format(i) for i in range(k))


def do_block():
    # DO bodies are split and parsed statement by statement: control words, labels, EXECUTE of
    # literals, unbalanced quotes and brackets, nested dollar quotes
    parts = []
    for _ in range(rng.randrange(1, 12)):
        st = mutate(rng.choice(seeds)) if rng.random() < 0.5 else rng.choice(seeds)
        form = rng.random()
        if form < 0.2:
            st = "EXECUTE '" + st.replace("'", "''") + "'"
        elif form < 0.35:
            st = "IF x THEN " + st + "; ELSE " + rng.choice(seeds) + "; END IF"
        elif form < 0.45:
            st = "<<l" + str(rng.randrange(9)) + ">> LOOP " + st + "; END LOOP"
        elif form < 0.55:
            st = rng.choice(["'", "(", ")", "$q$", "/*", "--", "\"", "EXECUTE '", ">>"]) + st
        parts.append(st)
    body = "BEGIN " + "; ".join(parts) + "; END"
    if rng.random() < 0.3:
        body = mutate(body)
    tag = rng.choice(["$$", "$body$", "$x$"])
    return "DO " + tag + body + tag + (";" if rng.random() < 0.7 else "")


def escape_copy(s):
    s = s.replace("\0", "")
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


out = sys.stdout
for i in range(n):
    k = rng.random()
    if k < 0.15:
        # valid compositions of seed statements: the rules, not just the parser, get exercised
        s = ";\n".join(rng.choice(seeds) for _ in range(rng.randrange(1, 30))) + ";"
    elif k < 0.55:
        s = rng.choice(seeds)
        for _ in range(rng.randrange(1, 4)):
            s = mutate(s)
        s += ";" if rng.random() < 0.5 else ""
    elif k < 0.63:
        s = deep()
    elif k < 0.68:
        s = huge()
    elif k < 0.76:
        s = escapes()
    elif k < 0.86:
        s = noise()
    elif k < 0.96:
        s = soup()
    elif rng.random() < 0.5:
        s = do_block()
    else:
        s = many() if rng.random() < 0.3 else ";\n".join(mutate(rng.choice(seeds)) for _ in range(rng.randrange(2, 40)))
    out.write(f"{i}\t{escape_copy(s)}\n")
