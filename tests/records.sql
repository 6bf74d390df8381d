-- Real records in audit's tables, for the tests that upgrade the extension (tests/upgrade.sh,
-- tests/pg_upgrade.sh): an override and the statement it let through, a warning, a baseline
-- with exact counts, a restore point. Works on every released version.
CREATE TABLE t (id int PRIMARY KEY, x int);
INSERT INTO t SELECT g, g FROM generate_series(1, 5000) g;
ANALYZE t;
SET audit.small_table_rows = 0;
BEGIN;
SELECT audit.allow('require-concurrent-index', 'upgrade test: reviewed');
CREATE INDEX t_x ON t (x);
COMMIT;
SET audit.rule_levels = 'drop-column=warn';
ALTER TABLE t DROP COLUMN x;
SELECT audit.capture_baseline('before-upgrade', exact => true);
SELECT audit.restore_point('before-upgrade');
