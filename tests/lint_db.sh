#!/usr/bin/env bash
# `audit lint --db` against a database with tables of every kind the rules ask about (sizes,
# columns, constraints, indexes, partitions with a default), compared with `audit.lint()` in
# that same database on the corpus and every rule's snippets (tests/lint_db.py); then the same
# lint of a database without the extension, and its errors.
#   tests/lint_db.sh PORT
set -uo pipefail
cd "$(dirname "$0")/.."
PORT=${1:?port}
. scripts/lib.sh
build_tool
use_server "$PORT"
DB=audit_lintdb
FIXTURE="
SET lock_timeout = '5s';
SET audit.enforcement = off;
CREATE SCHEMA app;
CREATE TABLE users (id bigint PRIMARY KEY, email text, name text, created_at timestamp, status int);
INSERT INTO users SELECT g, 'u' || g || '@x', 'n' || g, now(), g % 3 FROM generate_series(1, 5000) g;
CREATE TABLE category (id int PRIMARY KEY, name text);
INSERT INTO category SELECT g, 'c' || g FROM generate_series(1, 100) g;
CREATE TABLE recipe (id int PRIMARY KEY, name text, title varchar(200) NOT NULL, category_id int,
                     servings int, CONSTRAINT servings_positive CHECK (servings > 0));
INSERT INTO recipe SELECT g, 'r' || g, 't' || g, 1 + g % 100, 1 + g % 8 FROM generate_series(1, 20000) g;
ALTER TABLE recipe ADD CONSTRAINT recipe_title_nn CHECK (title IS NOT NULL);
CREATE INDEX recipe_category_idx ON recipe (category_id);
CREATE TABLE orders (id bigint, user_id bigint, region text, amount numeric(10,2), created_at timestamp, deleted_at timestamp);
INSERT INTO orders SELECT g, g % 5000, 'eu', g, now(), NULL FROM generate_series(1, 3000) g;
CREATE TABLE accounts (id int, email text, balance int);
CREATE TABLE items (id int);
CREATE TABLE app.items (id int);
CREATE TABLE t (a int, b text, c int);
INSERT INTO t SELECT g, 'b', g FROM generate_series(1, 2000) g;
CREATE TABLE tiny (id int);
INSERT INTO tiny VALUES (1);
CREATE TABLE measurement (id int, ts date, v int) PARTITION BY RANGE (ts);
CREATE TABLE measurement_2020 PARTITION OF measurement FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE measurement_2026 PARTITION OF measurement FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE TABLE measurement_other PARTITION OF measurement DEFAULT;
INSERT INTO measurement SELECT g, date '2020-01-01' + g % 2500, g FROM generate_series(1, 9000) g;
CREATE TABLE m (id int, ts date) PARTITION BY RANGE (ts);
CREATE TABLE m_2020 PARTITION OF m FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
INSERT INTO m SELECT g, date '2020-01-01' + g % 300 FROM generate_series(1, 4000) g;
CREATE TABLE orders_eu (id bigint, user_id bigint, region text, amount numeric(10,2), created_at timestamp, deleted_at timestamp);
INSERT INTO orders_eu SELECT g, g, 'eu', g, now(), NULL FROM generate_series(1, 2000) g;
CREATE FUNCTION make_ref_code() RETURNS text LANGUAGE sql VOLATILE AS 'SELECT md5(random()::text)';
"
fresh_db "$DB"
"${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 -c "CREATE EXTENSION audit" >/dev/null
echo "$FIXTURE" | "${P[@]}" -d "$DB" -v ON_ERROR_STOP=1 >/dev/null
"${P[@]}" -d "$DB" -c "VACUUM ANALYZE" >/dev/null
python3 tests/lint_db.py "$PORT" "$DB" "$AUDIT" > target/lint_db.txt 2>&1
grep -v '^lint-db: [0-9]* passed' target/lint_db.txt | tail -40
add_counts target/lint_db.txt lint-db

# a database without the extension: the same catalog facts
fresh_db "${DB}_plain"
echo "$FIXTURE" | "${P[@]}" -d "${DB}_plain" -v ON_ERROR_STOP=1 >/dev/null
"${P[@]}" -d "${DB}_plain" -c "VACUUM ANALYZE" >/dev/null
url=$(db_url "${DB}_plain")
out=$(echo "CREATE INDEX ON recipe (name);" | "$AUDIT" lint --db "$url" --format json - | python3 -c '
import json, sys
f = json.load(sys.stdin)["files"][0]["findings"]
print("|".join(str(x["relation"]) + ":" + str(x["table_rows"]) for x in f if x["rule"] == "require-concurrent-index"))')
check_eq "without the extension: the finding carries the table's rows" "$out" "public.recipe:20000"
out=$(echo "CREATE INDEX ON measurement (v);" | "$AUDIT" lint --db "$url" - 2>&1)
check_has "without the extension: a partitioned table's hint names its partitions" "$out" "CREATE INDEX CONCURRENTLY measurement_2020_v_idx ON public.measurement_2020"
out=$(echo "SET lock_timeout = '2s'; CREATE INDEX ON tiny (id);" | "$AUDIT" lint --db "$url" - 2>&1)
check_has "without the extension: a small table under a lock_timeout is exempt" "$out" "0 finding(s)"
check_has "the text report says it used the catalog" "$out" "against the database's catalog"
out=$(echo "SELECT 1;" | "$AUDIT" lint --db "postgresql://postgres@/nosuchdb?host=/tmp&port=$PORT" - 2>&1); rc=$?
check_eq "a database that does not exist: exit 2" "$rc" "2"
check_has "a database that does not exist: one line saying what to check" "$out" "check the database name"
out=$(echo "SELECT 1;" | "$AUDIT" lint --db "$url" --pg-version 15 - 2>&1); rc=$?
check_eq "--pg-version with --db: exit 2" "$rc" "2"
"${P[@]}" -d postgres -c "DROP DATABASE $DB" -c "DROP DATABASE ${DB}_plain" >/dev/null
summary lint-db
