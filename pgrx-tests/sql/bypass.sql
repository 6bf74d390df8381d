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
ALTER EXTENSION audit UPDATE;
ALTER EXTENSION audit DROP EVENT TRIGGER audit_ddl_command_start;
SET session_replication_role = replica;
-- a copy made with LIKE is a new, empty table: exempt only because nobody can be using it
BEGIN;
CREATE TABLE shared_copy (LIKE shared INCLUDING ALL);
CREATE INDEX ON shared_copy (v);
ROLLBACK;
-- the original stays protected in the same transaction
BEGIN;
CREATE TABLE shared_copy (LIKE shared INCLUDING ALL);
CREATE INDEX ON shared (v);
ROLLBACK;
-- SET LOCAL inside a transaction block is refused too
BEGIN;
SET LOCAL audit.enforcement = off;
ROLLBACK;
-- the ledger and the override are out of reach
SELECT audit.allow('require-concurrent-index', 'me');
SELECT * FROM audit.ddl_log;
RESET ROLE;
SELECT count(*) AS indexes FROM pg_indexes WHERE tablename = 'shared';
-- a connection option: with audit preloaded the connection itself is refused (FATAL), while
-- without preload the placeholder is discarded with a WARNING when the library loads and the
-- index is refused. (Through dblink, so that the refused connection ends no psql script.)
CREATE EXTENSION IF NOT EXISTS dblink;
DO $$
DECLARE
  msg text;
  detail text;
BEGIN
  PERFORM dblink_connect('plain', format(
    'dbname=%s user=audit_plain host=%s port=%s options=''-c audit.enforcement=off''',
    current_database(), split_part(current_setting('unix_socket_directories'), ',', 1),
    current_setting('port')));
  BEGIN
    PERFORM dblink_exec('plain', 'CREATE INDEX ON shared (v)');
    RAISE NOTICE 'the index was built';
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS msg = MESSAGE_TEXT;
    RAISE NOTICE 'statement refused: %', msg;
  END;
  PERFORM dblink_disconnect('plain');
EXCEPTION WHEN sqlclient_unable_to_establish_sqlconnection THEN
  GET STACKED DIAGNOSTICS detail = PG_EXCEPTION_DETAIL;
  -- the socket path and port vary; the server's reason does not
  RAISE NOTICE 'connection refused: %', regexp_replace(detail, '^.*FATAL:\s*', '');
END $$;
DROP EXTENSION dblink;
SELECT count(*) AS indexes FROM pg_indexes WHERE tablename = 'shared';
