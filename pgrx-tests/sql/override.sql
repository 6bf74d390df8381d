-- Per-rule levels, break glass with audit.allow(), the ledger, the refusal ring, and what
-- happens when audit itself fails.
\set SHOW_CONTEXT never
CREATE TABLE orders (id int PRIMARY KEY, total numeric(10,2), note varchar(20));
INSERT INTO orders SELECT g, g, 'n' FROM generate_series(1, 500) g;
ANALYZE orders;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_ops') THEN
    CREATE ROLE audit_ops LOGIN;
  END IF;
END $$;
GRANT audit_admin TO audit_ops;
GRANT CREATE, USAGE ON SCHEMA public TO audit_ops;
GRANT ALL ON orders TO audit_plain, audit_ops;
ALTER TABLE orders OWNER TO audit_ops;
-- the whole battery, refused by default
ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);
ALTER TABLE orders ALTER COLUMN note SET NOT NULL;
ALTER TABLE orders ADD COLUMN ref uuid DEFAULT gen_random_uuid();
ALTER TABLE orders ADD COLUMN seq bigserial;
ALTER TABLE orders ADD CONSTRAINT orders_note_key UNIQUE (note);
ALTER TABLE orders SET UNLOGGED;
-- warned, and recorded
ALTER TABLE orders RENAME COLUMN note TO remark;
SELECT rule, action, relation FROM audit.ddl_log ORDER BY id;
-- per-rule levels (superuser only)
SET audit.rule_levels = 'rename-column=off,check-not-valid=warn';
ALTER TABLE orders RENAME COLUMN remark TO note;
ALTER TABLE orders ADD CONSTRAINT total_positive CHECK (total > 0);
SET audit.rule_levels = 'no-such-rule=off';
SET audit.rule_levels = 'check-not-valid=sometimes';
RESET audit.rule_levels;
-- a plain role can neither override nor allow
SET ROLE audit_plain;
SET audit.rule_levels = 'require-concurrent-index=off';
SELECT audit.allow('require-concurrent-index', 'please');
SET audit.allowed = 'require-concurrent-index';
CREATE INDEX ON orders (total);
RESET ROLE;
-- a member of audit_admin can, for one transaction, with a reason
SET ROLE audit_ops;
SELECT audit.allow('require-concurrent-index', '');
SELECT audit.allow('no-such-rule', 'x');
BEGIN;
SELECT audit.allow('require-concurrent-index', 'CHG-1234: maintenance window');
CREATE INDEX orders_total_idx ON orders (total);
COMMIT;
-- ... and not in the next one
CREATE INDEX ON orders (note);
RESET ROLE;
SELECT current_role_name, session_role_name, rule, action, reason, relation, statement
  FROM audit.ddl_log WHERE action <> 'warn' ORDER BY id;
-- a rolled-back override leaves no ledger row (the ledger is transactional)
BEGIN;
SELECT audit.allow('require-concurrent-index', 'will be rolled back');
CREATE INDEX ON orders (note);
ROLLBACK;
SELECT count(*) AS rolled_back_rows FROM audit.ddl_log WHERE reason = 'will be rolled back';
-- plain roles cannot read or write the ledger
SET ROLE audit_plain;
SELECT count(*) FROM audit.ddl_log;
INSERT INTO audit.ddl_log (current_role_name, session_role_name, rule, action) VALUES ('x', 'x', 'x', 'warn');
RESET ROLE;
-- refusals survive their rollback in the shared-memory ring (audit is preloaded here)
SELECT rule, relation, role FROM audit.recent_refusals() WHERE relation = 'public.orders' ORDER BY refused_at DESC, rule LIMIT 3;
-- an internal failure: closed by default, open when configured
SET audit.debug_fail_checks = on;
CREATE INDEX ON orders (note);
SET audit.on_internal_error = fail_open;
CREATE INDEX orders_note_idx ON orders (note);
RESET audit.on_internal_error;
RESET audit.debug_fail_checks;
-- enforcement = warn caps every rule at warn
SET audit.enforcement = warn;
DROP INDEX orders_note_idx;
RESET audit.enforcement;
