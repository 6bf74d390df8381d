-- The event trigger refuses unsafe DDL as it executes.
\set SHOW_CONTEXT never
CREATE TABLE big (id int PRIMARY KEY, name varchar(10), cat int);
INSERT INTO big SELECT g, 'n' || g, g % 10 FROM generate_series(1, 1000) g;
ANALYZE big;
-- a plain CREATE INDEX on an existing table is refused
CREATE INDEX big_name_idx ON big (name);
\echo :LAST_ERROR_SQLSTATE
-- also from a DO block, a function, and a multi-statement string
DO $$ BEGIN EXECUTE 'CREATE INDEX ON big (name)'; END $$;
CREATE FUNCTION make_index() RETURNS void LANGUAGE plpgsql AS $$ BEGIN CREATE INDEX ON big (cat); END $$;
SELECT make_index();
SELECT 1 \; CREATE INDEX ON big (cat) \; SELECT 2;
-- nothing was built
SELECT count(*) AS indexes FROM pg_indexes WHERE tablename = 'big';
-- CONCURRENTLY passes
CREATE INDEX CONCURRENTLY big_name_idx ON big (name);
-- a table created in the same transaction is exempt
BEGIN;
CREATE TABLE fresh (a int, b varchar(5));
INSERT INTO fresh VALUES (1, 'x');
CREATE INDEX ON fresh (a);
ALTER TABLE fresh ALTER COLUMN a TYPE bigint;
COMMIT;
-- ... but not in the next one
CREATE INDEX ON fresh (b);
-- a table with no row (no page), analyzed or not, is no risk in any transaction: its index,
-- a rewrite and a scan run at once, and are neither refused nor recorded
CREATE TABLE empty_later (a int, b varchar(5));
CREATE INDEX ON empty_later (a);
ALTER TABLE empty_later ALTER COLUMN a TYPE bigint;
ALTER TABLE empty_later ALTER COLUMN b SET NOT NULL;
SELECT count(*) AS indexes FROM pg_indexes WHERE tablename = 'empty_later';
-- ... until it holds a row
INSERT INTO empty_later VALUES (1, 'x');
ANALYZE empty_later;
CREATE INDEX ON empty_later (b);
\echo :LAST_ERROR_SQLSTATE
ALTER TABLE empty_later ALTER COLUMN a TYPE text;
\echo :LAST_ERROR_SQLSTATE
DROP TABLE empty_later;
-- a temporary table is private to its session: exempt in any transaction
CREATE TEMP TABLE scratch AS SELECT g AS id FROM generate_series(1, 100) g;
CREATE INDEX ON scratch (id);
ALTER TABLE scratch ALTER COLUMN id TYPE bigint;
-- a rewriting type change is refused; the transaction is rolled back cleanly
BEGIN;
INSERT INTO big VALUES (1001, 'kept?', 1);
ALTER TABLE big ALTER COLUMN id TYPE bigint;
COMMIT;
SELECT count(*) FROM big WHERE id = 1001;
SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'id';
ALTER TABLE big ALTER COLUMN cat TYPE text;
-- binary-coercible changes pass: wider varchar, varchar -> text
ALTER TABLE big ALTER COLUMN name TYPE varchar(20);
ALTER TABLE big ALTER COLUMN name TYPE text;
-- a refusal inside a savepoint leaves the outer transaction usable
BEGIN;
SAVEPOINT s;
CREATE INDEX ON big (cat);
ROLLBACK TO SAVEPOINT s;
SELECT 'still usable' AS status;
COMMIT;
-- warn mode: the statement runs, with a WARNING carrying the same text
SET audit.enforcement = warn;
CREATE INDEX big_cat_idx ON big (cat);
ALTER TABLE fresh ALTER COLUMN b TYPE int USING length(b);
-- off: silent
SET audit.enforcement = off;
DROP INDEX big_cat_idx;
CREATE INDEX big_cat_idx ON big (cat);
RESET audit.enforcement;
SHOW audit.enforcement;
-- per database
ALTER DATABASE :"DBNAME" SET audit.enforcement = warn;
\c
SHOW audit.enforcement;
ALTER DATABASE :"DBNAME" RESET audit.enforcement;
\c
SHOW audit.enforcement;
