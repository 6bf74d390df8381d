-- Baselines: capture, compare (windows between two labels), verdicts, retention, errors.
-- (tests/baseline.sh runs the same against real pgbench workloads with pg_stat_statements.)
\set SHOW_CONTEXT never
CREATE SCHEMA inv;
CREATE TABLE inv.stock (id int PRIMARY KEY, qty int);
INSERT INTO inv.stock SELECT g, g FROM generate_series(1, 1000) g;
-- pg_stat_statements is not installed in this database: tables and indexes only, with a NOTICE
SELECT label, statements, tables > 0 AS has_tables FROM audit.capture_baseline('t0', exact => true);
SELECT has_statements, exact_rows FROM audit.baselines WHERE label = 't0';
SELECT table_name, exact_rows FROM audit.baseline_tables WHERE label = 't0' AND table_name LIKE 'inv.%';
-- labels are unique unless replaced
\set VERBOSITY terse
SELECT * FROM audit.capture_baseline('t0');
\set VERBOSITY default
SELECT label FROM audit.capture_baseline('t0', exact => true, replace => true);
SELECT * FROM audit.capture_baseline('');
-- a migration: rows deleted, a table added, an index dropped
CREATE INDEX CONCURRENTLY stock_qty_idx ON inv.stock (qty);
SELECT label FROM audit.capture_baseline('t1', exact => true);
DELETE FROM inv.stock WHERE id > 900;
CREATE TABLE inv.audit_trail (id bigint PRIMARY KEY);
DROP INDEX CONCURRENTLY inv.stock_qty_idx;
SELECT label FROM audit.capture_baseline('t2', exact => true);
SELECT kind, object, before, after, change_pct, status FROM audit.compare_baseline('t1', 't2')
 WHERE object LIKE 'inv.%' ORDER BY kind, object;
SELECT verdict, blocker, object FROM audit.go_no_go('t1', 't2') WHERE object IS NULL OR object LIKE 'inv.%';
SELECT audit.go_no_go_json('t1', 't2')->>'verdict' AS verdict;
SELECT verdict FROM audit.go_no_go('t1', 't2', allow_row_loss => '{inv.stock}');
SELECT audit.assert_go('t1', 't2');
\echo :LAST_ERROR_SQLSTATE
SELECT audit.assert_go('t1', 't2', allow_row_loss => '{inv.stock}');
-- the audits narrowed to what changed since a baseline (needs track_commit_timestamp)
SELECT audit.baseline_time('t1') <= now() AS captured_before_now;
SELECT * FROM audit.verify_migrations(since => audit.baseline_time('t1'));
-- unknown labels
SELECT * FROM audit.compare_baseline('nope');
SELECT * FROM audit.go_no_go('t1', 'nope');
-- retention
SELECT audit.drop_baseline('t0');
SELECT audit.drop_baseline('t0');
SELECT label FROM audit.baselines ORDER BY label;
SELECT count(*) AS orphans FROM audit.baseline_tables WHERE label = 't0';
-- settings
SHOW audit.regression_threshold;
SHOW audit.min_calls;
-- plain roles may read the verdict functions but not write baselines
SET ROLE audit_plain;
SELECT * FROM audit.capture_baseline('sneaky');
RESET ROLE;
