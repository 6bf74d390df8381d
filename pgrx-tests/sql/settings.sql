-- The audit prefix is reserved: a misspelt setting is an error, not a silent placeholder.
SET audit.enforcment = off;
SHOW audit.enforcement;
-- An ALTER TABLE subcommand keeps its kind in the model, and its lock level is PostgreSQL's:
-- SET STATISTICS takes ShareUpdateExclusiveLock, so nothing waits behind it.
SELECT model FROM audit.statement_model($$ALTER TABLE recipe ALTER COLUMN title SET STATISTICS 500$$);
SELECT model FROM audit.statement_model($$ALTER TABLE recipe SET (fillfactor = 80)$$);
SELECT statement, rule FROM audit.lint($$
BEGIN;
ALTER TABLE recipe ALTER COLUMN title SET STATISTICS 500;
UPDATE recipe SET title = title WHERE id = 1;
COMMIT;
$$, 'access-exclusive-held=warn');
SELECT statement, rule FROM audit.lint($$
BEGIN;
ALTER TABLE recipe OWNER TO postgres;
UPDATE recipe SET title = title WHERE id = 1;
COMMIT;
$$, 'access-exclusive-held=warn');
-- assert_not_in_transaction raises PostgreSQL's own SQLSTATE for it
\set VERBOSITY sqlstate
BEGIN;
SELECT audit.assert_not_in_transaction();
ROLLBACK;
\set VERBOSITY default
-- the defaults the tool assumes where the extension is not installed are these boot values
-- (audit_rules::defaults; its unit test reads this file's expected output)
SELECT name, boot_val, unit FROM pg_settings
 WHERE name IN ('audit.small_table_rows', 'audit.regression_threshold', 'audit.max_lock_timeout')
 ORDER BY name;
