-- audit.lint(): findings as rows, with the statement index and line of each.
\set SHOW_CONTEXT never
CREATE TABLE recipe (id int PRIMARY KEY, title varchar(100), servings int, category_id int, notes text);
CREATE TABLE category (id int PRIMARY KEY);
-- a table with no row is no risk for the scan and rewrite rules: give recipe one, and judge
-- these tiny tables as large ones (audit.small_table_rows = 0)
INSERT INTO recipe (id, title, servings) VALUES (1, 't1', 1);
ANALYZE recipe;
SET audit.small_table_rows = 0;
-- clean SQL: zero rows
SELECT count(*) AS findings FROM audit.lint($sql$
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY recipe_title_idx ON recipe (title);
ALTER TABLE recipe ALTER COLUMN title TYPE varchar(200);
ALTER TABLE recipe ALTER COLUMN title TYPE text;
ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;
$sql$);
-- a script mixing safe and unsafe statements
SELECT statement, line, rule, severity, lock FROM audit.lint($sql$
-- 0042_recipe.sql
CREATE INDEX recipe_title_idx ON recipe (title);

SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY recipe_servings_idx ON recipe (servings);
ALTER TABLE recipe
    ALTER COLUMN id TYPE bigint;
ALTER TABLE recipe ALTER COLUMN title TYPE varchar(200);
ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk
    FOREIGN KEY (category_id) REFERENCES category (id);
ALTER TABLE recipe ADD CONSTRAINT servings_positive CHECK (servings > 0);
/* a comment
   spanning lines */ ALTER TABLE recipe ALTER COLUMN title SET NOT NULL;
ALTER TABLE recipe DROP COLUMN notes;
DROP INDEX recipe_pkey;
$sql$) ORDER BY statement, rule;
-- messages, hints
SELECT rule, message, hint FROM audit.lint('SET lock_timeout = 1000; CREATE INDEX ON recipe (servings)');
-- lock-timeout: reported once, at the first lock-taking statement
SELECT statement, rule FROM audit.lint($sql$
ALTER TABLE recipe ADD COLUMN a int;
ALTER TABLE recipe ADD COLUMN b int;
$sql$);
-- SET lock_timeout = 0 switches it off again
SELECT statement, rule FROM audit.lint('SET lock_timeout = 0; ALTER TABLE recipe ADD COLUMN a int');
-- tables created earlier in the script are exempt from the lock rules
SELECT count(*) AS findings FROM audit.lint($sql$
CREATE TABLE ingredient (id int, recipe_id int, name varchar(10));
CREATE INDEX ON ingredient (recipe_id);
ALTER TABLE ingredient ALTER COLUMN id TYPE bigint;
ALTER TABLE ingredient ADD FOREIGN KEY (recipe_id) REFERENCES recipe (id);
ALTER TABLE ingredient ADD CHECK (id > 0);
ALTER TABLE ingredient ALTER COLUMN name SET NOT NULL;
ALTER TABLE ingredient DROP COLUMN name;
$sql$);
-- CONCURRENTLY after BEGIN fails at run time
SELECT statement, line, rule FROM audit.lint($sql$
BEGIN;
CREATE INDEX CONCURRENTLY ON recipe (servings);
COMMIT;
CREATE INDEX CONCURRENTLY ON recipe (servings);
$sql$);
-- VALIDATE in the transaction that added the constraint
SELECT statement, rule FROM audit.lint($sql$
SET lock_timeout = '2s';
ALTER TABLE recipe ADD CONSTRAINT fk2 FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;
ALTER TABLE recipe VALIDATE CONSTRAINT fk2;
$sql$);
SELECT count(*) AS findings FROM audit.lint($sql$
SET lock_timeout = '2s';
BEGIN;
ALTER TABLE recipe ADD CONSTRAINT fk2 FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;
COMMIT;
BEGIN;
ALTER TABLE recipe VALIDATE CONSTRAINT fk2;
COMMIT;
$sql$);
-- SET NOT NULL is fine after a validated CHECK (col IS NOT NULL), in the script or the catalog
SELECT count(*) AS findings FROM audit.lint($sql$
SET lock_timeout = '2s';
BEGIN;
ALTER TABLE recipe ADD CONSTRAINT title_nn CHECK (title IS NOT NULL) NOT VALID;
COMMIT;
ALTER TABLE recipe VALIDATE CONSTRAINT title_nn;
ALTER TABLE recipe ALTER COLUMN title SET NOT NULL;
$sql$);
ALTER TABLE recipe ADD CONSTRAINT servings_nn CHECK (servings IS NOT NULL) NOT VALID;
ALTER TABLE recipe VALIDATE CONSTRAINT servings_nn;
SELECT count(*) AS findings FROM audit.lint('SET lock_timeout = ''2s''; ALTER TABLE recipe ALTER COLUMN servings SET NOT NULL');
-- column types come from the catalog: numeric widening keeps the data, int -> text does not
CREATE TABLE price (amount numeric(10,2), code int, label char(4));
INSERT INTO price VALUES (1, 1, 'a');
SELECT rule, message FROM audit.lint($sql$
SET lock_timeout = '2s';
ALTER TABLE price ALTER COLUMN amount TYPE numeric(12,2);
ALTER TABLE price ALTER COLUMN amount TYPE numeric(12,3);
ALTER TABLE price ALTER COLUMN code TYPE text;
ALTER TABLE price ALTER COLUMN label TYPE text;
$sql$);
-- a table with no row and no page, analyzed or not: nothing to scan or rewrite, with or
-- without lock_timeout; the lock still queues (lock-timeout), a drop still breaks code
CREATE TABLE empty_one (id int, v int);
SELECT statement, rule FROM audit.lint($sql$
CREATE INDEX ON empty_one (v);
ALTER TABLE empty_one ALTER COLUMN v SET NOT NULL;
ALTER TABLE empty_one ALTER COLUMN v TYPE text;
ALTER TABLE empty_one ADD CONSTRAINT v_positive CHECK (id > 0);
ALTER TABLE empty_one DROP COLUMN v;
$sql$) ORDER BY statement, rule;
-- ... and once it holds a row, the same script is judged as before
INSERT INTO empty_one VALUES (1, 1);
ANALYZE empty_one;
SELECT statement, rule FROM audit.lint($sql$
CREATE INDEX ON empty_one (v);
ALTER TABLE empty_one ALTER COLUMN v SET NOT NULL;
ALTER TABLE empty_one ALTER COLUMN v TYPE text;
ALTER TABLE empty_one ADD CONSTRAINT v_positive CHECK (id > 0);
ALTER TABLE empty_one DROP COLUMN v;
$sql$) ORDER BY statement, rule;
DROP TABLE empty_one;
-- DDL in a DO block or function body is not linted as text (the trigger sees it when it runs)
SELECT count(*) AS findings FROM audit.lint('DO $$ BEGIN NULL; END $$');
-- syntax errors: SQLSTATE 42601 and the line
SELECT * FROM audit.lint(E'SELECT 1;\n\nCREATE INDEX ON;\n');
\echo :LAST_ERROR_SQLSTATE
SELECT * FROM audit.lint(E'-- é\nALTER TABLE recipe ADD COLUMN x int;\nALTER TABEL recipe;');
\echo :LAST_ERROR_SQLSTATE
-- empty and comment-only scripts are clean
SELECT count(*) AS findings FROM audit.lint('');
SELECT count(*) AS findings FROM audit.lint('-- nothing here');
SELECT * FROM audit.lint(NULL);
SELECT audit.lint_json(NULL) IS NULL AS null_in_null_out;
-- opt-in rules report when a level names them, for this call or through audit.rule_levels
SELECT rule FROM audit.lint('CREATE TABLE t2 (id int, at timestamp, data json)', 'prefer-bigint=warn,prefer-timestamptz=error,prefer-jsonb=warn') ORDER BY rule;
SELECT rule FROM audit.lint('SET lock_timeout = 1; CREATE INDEX ON recipe (servings)', 'require-concurrent-index=off');
SELECT * FROM audit.lint('SELECT 1', 'nonsense');
-- suppressions keep the reason
SELECT rule, ignored FROM audit.lint($sql$
SET lock_timeout = '2s';
-- audit:ignore require-concurrent-index recipe is empty in this deployment
CREATE INDEX ON recipe (servings);
-- audit:ignore drop-column
ALTER TABLE recipe DROP COLUMN notes;
$sql$) ORDER BY rule;
-- idempotent re-runs: IF NOT EXISTS / IF EXISTS of what is already there (or not) is a no-op
SELECT statement, rule FROM audit.lint($sql$
SET lock_timeout = '2s';
CREATE INDEX IF NOT EXISTS recipe_pkey ON recipe (id);
CREATE INDEX IF NOT EXISTS recipe_new_idx ON recipe (servings);
ALTER TABLE recipe ADD COLUMN IF NOT EXISTS title uuid DEFAULT gen_random_uuid();
ALTER TABLE recipe ADD COLUMN IF NOT EXISTS token uuid DEFAULT gen_random_uuid();
DROP TABLE IF EXISTS no_such_table;
DROP INDEX IF EXISTS no_such_index;
ALTER TABLE recipe DROP COLUMN IF EXISTS no_such_column;
DROP TABLE IF EXISTS category;
$sql$) ORDER BY statement;
-- findings carry the table's catalog facts
INSERT INTO recipe (id, title, servings) SELECT g, 't' || g, 1 FROM generate_series(2, 500) g;
ANALYZE recipe;
SELECT rule, relation, table_rows, table_bytes > 0 AS has_size FROM audit.lint('CREATE INDEX ON recipe (servings)') WHERE rule = 'require-concurrent-index';
-- jsonb for machines
SELECT jsonb_pretty(audit.lint_json('CREATE INDEX ON recipe (servings)') - 'findings') AS summary;
SELECT f->>'rule' AS rule, f->>'line' AS line FROM jsonb_array_elements(audit.lint_json(E'\n\nDROP INDEX recipe_pkey')->'findings') f ORDER BY 1;
-- how the server parser saw each statement
SELECT statement, line, model FROM audit.statement_model(E'SET lock_timeout = 5;\nCREATE INDEX CONCURRENTLY i ON s.t (a, (lower(b)))');
