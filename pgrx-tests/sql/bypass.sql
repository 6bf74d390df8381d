-- A role without superuser cannot switch enforcement off, however it tries.
\set SHOW_CONTEXT never
CREATE TABLE shared (id int, v int);
INSERT INTO shared SELECT g, g FROM generate_series(1, 100) g;
GRANT ALL ON shared TO audit_plain;
SET ROLE audit_plain;
SET audit.enforcement = off;
SET LOCAL audit.enforcement = off;
SELECT set_config('audit.enforcement', 'off', false);
ALTER ROLE audit_plain SET audit.enforcement = off;
CREATE INDEX ON shared (v);
-- a SECURITY DEFINER function owned by the plain role runs with its rights
CREATE FUNCTION sneaky() RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
  PERFORM set_config('audit.enforcement', 'off', true);
  EXECUTE 'CREATE INDEX ON shared (v)';
END $$;
SELECT sneaky();
-- the event triggers belong to the superuser
ALTER EVENT TRIGGER audit_ddl_command_start DISABLE;
DROP EVENT TRIGGER audit_table_rewrite;
DROP EXTENSION audit;
SET session_replication_role = replica;
RESET ROLE;
SELECT count(*) AS indexes FROM pg_indexes WHERE tablename = 'shared';
-- last, because with audit preloaded the connection itself is refused (FATAL), while without
-- preload the placeholder is discarded with a WARNING when the library loads
\c -reuse-previous=on "user=audit_plain options='-c audit.enforcement=off'"
CREATE INDEX ON shared (v);
