-- What a migration left behind: audits, verify_migrations(), assertions, restore points.
\set SHOW_CONTEXT never
CREATE SCHEMA shop;
CREATE TABLE shop.category (id int PRIMARY KEY, name text);
INSERT INTO shop.category VALUES (1, 'soup'), (2, 'salad');
CREATE TABLE shop.recipe (id int PRIMARY KEY, category_id int, servings int, title text);
INSERT INTO shop.recipe SELECT g, 1 + g % 2, 1 + g % 5, 't' || g FROM generate_series(1, 200) g;
-- a clean schema passes every check
SELECT check_name, status FROM audit.verify_migrations('shop');
SELECT audit.verify_migrations_json('shop')->>'status' AS status;
-- seed what a bad rollout leaves behind
INSERT INTO shop.recipe VALUES (1000, 99, -1, NULL);
ALTER TABLE shop.recipe ADD CONSTRAINT recipe_category_fk FOREIGN KEY (category_id) REFERENCES shop.category (id) NOT VALID;
ALTER TABLE shop.recipe ADD CONSTRAINT servings_positive CHECK (servings > 0) NOT VALID;
CREATE UNIQUE INDEX CONCURRENTLY recipe_category_key ON shop.recipe (category_id);
CREATE INDEX CONCURRENTLY recipe_title_idx ON shop.recipe (title);
CREATE INDEX CONCURRENTLY recipe_title_again ON shop.recipe (title);
CREATE INDEX CONCURRENTLY recipe_title_servings_idx ON shop.recipe (title, servings);
CREATE TABLE shop.log (at timestamptz, line text);
CREATE TABLE shop.ticket (id serial PRIMARY KEY);
SELECT setval('shop.ticket_id_seq', 2100000000);
SELECT check_name, status, object, detail FROM audit.verify_migrations('shop') ORDER BY check_name, object;
SELECT audit.verify_migrations_json('shop')->>'status' AS status;
-- the audits one by one, with their fixes
SELECT constraint_name, constraint_type, fix FROM audit.unvalidated_constraints('shop');
SELECT index_name, is_valid, fix FROM audit.invalid_indexes('shop');
SELECT table_name, constraint_name, columns, fix FROM audit.unindexed_foreign_keys('shop');
SELECT index_name, kind, covered_by, fix FROM audit.duplicate_indexes('shop');
SELECT table_name FROM audit.tables_without_primary_key('shop');
SELECT sequence_name, owned_by, column_type, round(used_fraction::numeric, 3) AS used FROM audit.sequence_capacity(0.5, 'shop');
-- since: needs track_commit_timestamp
SELECT * FROM audit.verify_migrations('shop', now() - interval '1 hour');
-- a session holding a lock while another waits (two dblink sessions)
CREATE EXTENSION IF NOT EXISTS dblink;
SELECT dblink_connect('holder', format('dbname=%s user=postgres host=%s port=%s', current_database(),
       split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'))) AS holder;
SELECT dblink_connect('waiter', format('dbname=%s user=postgres host=%s port=%s', current_database(),
       split_part(current_setting('unix_socket_directories'), ',', 1), current_setting('port'))) AS waiter;
SELECT dblink_exec('holder', 'BEGIN; LOCK TABLE shop.category IN ACCESS EXCLUSIVE MODE');
SELECT dblink_send_query('waiter', 'SELECT count(*) FROM shop.category');
DO $$ BEGIN
  FOR i IN 1..200 LOOP
    EXIT WHEN EXISTS (SELECT 1 FROM audit.lock_waits());
    PERFORM pg_sleep(0.05);
  END LOOP;
END $$;
SELECT lock_mode, relation, blocking_state, blocking_query, idle_in_transaction FROM audit.lock_waits();
SELECT check_name, status, object IS NOT NULL AS has_object FROM audit.verify_migrations('shop') WHERE check_name = 'no lock waiters';
\set VERBOSITY terse
SELECT audit.assert_no_lock_waiters();
\set VERBOSITY default
SELECT dblink_exec('holder', 'ROLLBACK');
SELECT * FROM dblink_get_result('waiter') AS t(n bigint);
SELECT dblink_disconnect('holder'), dblink_disconnect('waiter');
SELECT audit.assert_no_lock_waiters();
-- assertions: quiet when the precondition holds, SQLSTATE P0004 with DETAIL and HINT when not
SELECT audit.assert_constraint_valid('shop.recipe', 'recipe_pkey');
SELECT audit.assert_constraint_valid('shop.recipe', 'recipe_category_fk');
\echo :LAST_ERROR_SQLSTATE
SELECT audit.assert_constraint_valid('shop.recipe', 'no_such_constraint');
\echo :LAST_ERROR_SQLSTATE
SELECT audit.assert_constraint_valid('shop.no_such_table', 'x');
\echo :LAST_ERROR_SQLSTATE
SELECT audit.assert_index_valid('shop.recipe_title_idx');
SELECT audit.assert_index_valid('shop.recipe_category_key');
SELECT audit.assert_index_valid('shop.recipe');
SELECT audit.assert_all_valid('shop.category');
SELECT audit.assert_all_valid('shop.recipe');
SELECT audit.assert_schema_valid('shop');
SELECT audit.assert_schema_valid('no_such_schema');
SELECT audit.assert_timeouts();
SET lock_timeout = '3s';
SELECT audit.assert_timeouts('5s');
SELECT audit.assert_timeouts('1s');
SET statement_timeout = '10min';
SELECT audit.assert_timeouts('5s', '1min');
RESET statement_timeout;
RESET lock_timeout;
SELECT audit.assert_not_in_transaction();
BEGIN;
SELECT audit.assert_not_in_transaction();
ROLLBACK;
SELECT audit.assert_extension('audit');
SELECT audit.assert_extension('audit', '0.1');
SELECT audit.assert_extension('audit', '2.0');
SELECT audit.assert_extension('no_such_extension');
SELECT audit.assert_no_nulls('shop.recipe', 'id');
SELECT audit.assert_no_nulls('shop.recipe', 'title');
SELECT audit.assert_no_nulls('shop.recipe', 'no_such_column');
SELECT audit.assert_constraint_satisfied('shop.recipe', 'recipe_category_fk');
SELECT audit.assert_constraint_satisfied('shop.recipe', 'servings_positive');
DELETE FROM shop.recipe WHERE id = 1000;
SELECT audit.assert_constraint_satisfied('shop.recipe', 'recipe_category_fk');
SELECT audit.assert_constraint_satisfied('shop.recipe', 'servings_positive');
SELECT audit.assert_row_count('shop.recipe', 100, 1000);
SELECT audit.assert_row_count('shop.recipe', 500);
-- identifiers are quoted
CREATE TABLE shop."Odd Name" ("Some Col" int);
INSERT INTO shop."Odd Name" VALUES (NULL);
SELECT audit.assert_no_nulls('shop."Odd Name"', 'Some Col');
-- fix everything the audits reported, and verify again
ALTER TABLE shop.recipe VALIDATE CONSTRAINT recipe_category_fk;
ALTER TABLE shop.recipe VALIDATE CONSTRAINT servings_positive;
DROP INDEX CONCURRENTLY shop.recipe_category_key;
DROP INDEX CONCURRENTLY shop.recipe_title_idx;
DROP INDEX CONCURRENTLY shop.recipe_title_again;
CREATE INDEX CONCURRENTLY recipe_category_idx ON shop.recipe (category_id);
BEGIN;  -- shop.log is empty: an audited override is the honest way
SELECT audit.allow('add-column-serial', 'shop.log is empty');
SELECT audit.allow('add-unique-constraint', 'shop.log is empty');
ALTER TABLE shop.log ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
COMMIT;
DROP TABLE shop."Odd Name", shop.ticket;
SELECT check_name, status FROM audit.verify_migrations('shop');
SELECT audit.assert_schema_valid('shop');
-- restore points (wal_level is replica here)
SELECT audit.restore_point('before-0042') IS NOT NULL AS created;
SELECT name, created_by FROM audit.restore_points;
SELECT audit.restore_point(repeat('x', 70));
SET ROLE audit_plain;
SELECT audit.restore_point('sneaky');
RESET ROLE;
