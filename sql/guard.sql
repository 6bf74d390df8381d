-- The portable guard (`audit install-guard`): for databases where the extension cannot be
-- installed but event triggers can (RDS, Cloud SQL, Supabase, Neon). Plain SQL and PL/pgSQL,
-- installed by the tool into its own schema after sql/ledger.sql and sql/verify.sql, which
-- give it audit's ledger and assertions, and sql/sizes.sql, which sizes tables as the lint does.

CREATE TABLE settings (
    max_rewrite_rows bigint NOT NULL DEFAULT 1000 CHECK (max_rewrite_rows >= 0),
    single boolean PRIMARY KEY DEFAULT true CHECK (single)
);
COMMENT ON TABLE settings IS 'audit guard: a table rewrite of this many rows or more is refused (0: every rewrite of an existing table)';
INSERT INTO settings DEFAULT VALUES;
REVOKE ALL ON settings FROM PUBLIC;
GRANT SELECT ON settings TO PUBLIC;

-- Let a refused rewrite through for the rest of the current transaction, with a reason; only
-- members of audit_admin. The call and every rewrite it lets through go to ddl_log.
CREATE FUNCTION allow(rule text, reason text) RETURNS void
LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, 'audit_admin', 'MEMBER')
       AND NOT (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = session_user) THEN
        RAISE EXCEPTION 'permission denied to override audit rules'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = pg_catalog.format('Role "%s" is not a member of audit_admin.', session_user),
                  HINT = 'Ask for GRANT audit_admin TO your role, or have a member of audit_admin run the change.';
    END IF;
    IF rule IS DISTINCT FROM 'rewrites-table' THEN
        RAISE EXCEPTION 'unknown audit rule "%"', rule
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The guard has one rule, rewrites-table.',
                  HINT = 'SELECT @extschema@.allow(''rewrites-table'', ''reason'').';
    END IF;
    IF coalesce(pg_catalog.btrim(reason), '') = '' THEN
        RAISE EXCEPTION 'an override needs a reason'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'The reason is recorded in @extschema@.ddl_log with every statement it lets through.',
                  HINT = 'Say why, for example SELECT @extschema@.allow(''rewrites-table'', ''ticket 123: maintenance window'').';
    END IF;
    INSERT INTO @extschema@.ddl_log (current_role_name, session_role_name, rule, action, reason, statement)
    VALUES (session_user, session_user, rule, 'allow', reason, pg_catalog.current_query());
END
$$;
REVOKE ALL ON FUNCTION allow(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION allow(text, text) TO PUBLIC;
COMMENT ON FUNCTION allow(text, text) IS 'audit guard: let a refused rewrite through for the current transaction (members of audit_admin; recorded in ddl_log)';

-- The table_rewrite event trigger: a rewrite of an existing table with max_rewrite_rows rows
-- or more is refused, unless allowed in this transaction (then recorded as an override).
CREATE FUNCTION on_table_rewrite() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_rel oid := pg_catalog.pg_event_trigger_table_rewrite_oid();
    v_name text := v_rel::regclass::text;
    v_threshold bigint;
    v_rows bigint;
    v_bytes bigint;
    v_reason text;
BEGIN
    SELECT s.max_rewrite_rows INTO v_threshold FROM @extschema@.settings s;
    SELECT z.est_rows, z.bytes INTO v_rows, v_bytes FROM @extschema@._sizes(ARRAY[v_rel]) z;
    -- unknown rows are not small
    IF v_rows IS NOT NULL AND v_rows < v_threshold THEN
        RETURN;
    END IF;
    SELECT l.reason INTO v_reason FROM @extschema@.ddl_log l
     WHERE l.action = 'allow' AND l.rule = 'rewrites-table'
       AND l.transaction_id = pg_catalog.pg_current_xact_id()
     ORDER BY l.id DESC LIMIT 1;
    IF FOUND THEN
        INSERT INTO @extschema@.ddl_log (current_role_name, session_role_name, rule, action, reason, relation, statement)
        VALUES (current_user, session_user, 'rewrites-table', 'override', v_reason, v_name, pg_catalog.current_query());
        RAISE NOTICE 'audit: % rewrites table % (allowed by @extschema@.allow)', tg_tag, v_name
            USING DETAIL = pg_catalog.format('Rule rewrites-table. Reason given: %s.', v_reason);
        RETURN;
    END IF;
    RAISE EXCEPTION 'audit: % rewrites table % under an ACCESS EXCLUSIVE lock', tg_tag, v_name
        USING ERRCODE = 'insufficient_privilege',
              DETAIL = pg_catalog.format(
                  'Rule rewrites-table; the statement takes AccessExclusiveLock on %s (%s). The guard refuses rewrites of %s rows or more (@extschema@.settings).',
                  v_name,
                  CASE WHEN v_rows IS NULL THEN 'rows unknown'
                       ELSE pg_catalog.format('about %s rows, %s', v_rows, pg_catalog.pg_size_pretty(v_bytes)) END,
                  v_threshold),
              HINT = 'Add a new column and backfill it in batches instead of rewriting the table. A member of audit_admin can let it through for one transaction with SELECT @extschema@.allow(''rewrites-table'', ''reason'').';
END
$$;
REVOKE ALL ON FUNCTION on_table_rewrite() FROM PUBLIC;

CREATE EVENT TRIGGER audit_guard_table_rewrite ON table_rewrite
    EXECUTE FUNCTION on_table_rewrite();
COMMENT ON EVENT TRIGGER audit_guard_table_rewrite IS 'audit guard: refuses a rewrite of a table at or above @extschema@.settings.max_rewrite_rows';

-- run_with_retry() (sql/retry.sql, installed after this file) without the extension's parser:
-- the sessions in the way are those holding locks on the relations the statement's text names
-- (a name resolved as the caller's search_path resolves it; an index's table is not found).
CREATE FUNCTION _lock_holders(sql text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT @extschema@._lock_holders_of(ARRAY(
        SELECT DISTINCT pg_catalog.to_regclass(w[1])::oid
          FROM pg_catalog.regexp_matches(sql, '((?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\.(?:"[^"]+"|[A-Za-z_][A-Za-z0-9_$]*))?)', 'g') AS w
         WHERE pg_catalog.to_regclass(w[1]) IS NOT NULL))
$$;

-- What run_with_retry() cannot retry: other than exactly one statement (EXECUTE would run
-- them all), or transaction control. Without the extension's parser, the statements are
-- counted by their semicolons outside quotes, dollar quotes and comments.
CREATE FUNCTION _retry_check(sql text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    i integer := 1;
    n integer := length(sql);
    c text;
    q text;
    j integer;
    stmts integer := 0;
    pending boolean := false;
BEGIN
    WHILE i <= n LOOP
        c := substr(sql, i, 1);
        IF substr(sql, i, 2) = '--' THEN
            j := strpos(substr(sql, i), E'\n');
            i := CASE WHEN j = 0 THEN n + 1 ELSE i + j END;
            CONTINUE;
        ELSIF substr(sql, i, 2) = '/*' THEN
            j := strpos(substr(sql, i + 2), '*/');
            i := CASE WHEN j = 0 THEN n + 1 ELSE i + j + 3 END;
            CONTINUE;
        ELSIF c IN ('''', '"') THEN
            -- to the closing quote; a doubled quote stays inside
            j := i + 1;
            WHILE j <= n LOOP
                IF substr(sql, j, 1) = c THEN
                    EXIT WHEN substr(sql, j + 1, 1) <> c;
                    j := j + 1;
                END IF;
                j := j + 1;
            END LOOP;
            i := j + 1;
            pending := true;
            CONTINUE;
        ELSIF c = '$' AND substr(sql, i) ~ '^\$([A-Za-z_][A-Za-z0-9_]*)?\$' THEN
            q := substring(substr(sql, i) FROM '^(\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$)');
            j := strpos(substr(sql, i + length(q)), q);
            i := CASE WHEN j = 0 THEN n + 1 ELSE i + length(q) + j - 1 + length(q) END;
            pending := true;
            CONTINUE;
        ELSIF c = ';' THEN
            IF pending THEN
                stmts := stmts + 1;
                pending := false;
            END IF;
        ELSIF c !~ '\s' THEN
            pending := true;
        END IF;
        i := i + 1;
    END LOOP;
    IF pending THEN
        stmts := stmts + 1;
    END IF;
    PERFORM @extschema@._retry_refuse(stmts,
        sql ~* '^\s*(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION|END|ABORT|SAVEPOINT|RELEASE|PREPARE\s+TRANSACTION)\M');
END
$$;
