-- audit's own objects: the override role and the ledger of warned and overridden DDL.

-- Roles are cluster-wide; DROP EXTENSION leaves audit_admin in place (drop it by hand).
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'audit_admin') THEN
        CREATE ROLE audit_admin NOLOGIN;
    END IF;
END
$$;

GRANT USAGE ON SCHEMA @extschema@ TO PUBLIC;

CREATE TABLE ddl_log (
    id                bigserial PRIMARY KEY,
    logged_at         timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    current_role_name text NOT NULL,
    session_role_name text NOT NULL,
    database_name     text NOT NULL DEFAULT pg_catalog.current_database(),
    rule              text NOT NULL,
    action            text NOT NULL CHECK (action IN ('warn', 'override', 'allow', 'trace')),
    reason            text,
    relation          text,
    statement         text,
    transaction_id    xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id()
);
COMMENT ON TABLE ddl_log IS 'audit: DDL let through with a warning or by audit.allow(), each audit.allow() call, and each audit.trace() that ran statements the triggers would refuse; commits with the change';
REVOKE ALL ON ddl_log FROM PUBLIC;
REVOKE ALL ON SEQUENCE ddl_log_id_seq FROM PUBLIC;
GRANT SELECT ON ddl_log TO audit_admin;
SELECT pg_catalog.pg_extension_config_dump('ddl_log', '');
SELECT pg_catalog.pg_extension_config_dump('ddl_log_id_seq', '');
