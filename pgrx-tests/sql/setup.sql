-- Install the extension and the roles later files use.
CREATE EXTENSION audit;
SELECT extname, extversion FROM pg_extension WHERE extname = 'audit';
SELECT evtname, evtevent, evtenabled FROM pg_event_trigger ORDER BY evtname;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'audit_plain') THEN
    CREATE ROLE audit_plain LOGIN;
  END IF;
END $$;
GRANT ALL ON SCHEMA public TO audit_plain;
SHOW audit.enforcement;
SELECT name, setting, context, vartype, enumvals FROM pg_settings WHERE name LIKE 'audit.%' ORDER BY name;
-- the catalogue lists every rule with its lock
SELECT code, severity, lock, effect FROM audit.rules ORDER BY code;
