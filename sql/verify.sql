-- What a migration left behind: audits as rows, the verify_migrations() summary, assertions
-- for migration SQL, and restore points. Set-based queries over the catalogs (one pass each),
-- so they stay linear in the number of objects.

-- Objects changed since a point in time, via commit timestamps of their catalog rows.
CREATE FUNCTION _changed_since(x xid, since timestamptz) RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF since IS NULL THEN
        RETURN true;
    END IF;
    RETURN pg_xact_commit_timestamp(x) >= since;
END
$$;

CREATE FUNCTION _check_since(since timestamptz) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF since IS NOT NULL AND NOT current_setting('track_commit_timestamp')::boolean THEN
        RAISE EXCEPTION 'narrowing audits to objects changed since a time needs track_commit_timestamp'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'PostgreSQL records when a catalog row was committed only with track_commit_timestamp = on.',
                  HINT = 'Set track_commit_timestamp = on in postgresql.conf and restart, or call without since.';
    END IF;
END
$$;

-- 1. foreign keys and CHECK constraints not validated
CREATE FUNCTION unvalidated_constraints(schema_name name DEFAULT NULL, since timestamptz DEFAULT NULL)
RETURNS TABLE (schema_name name, table_name name, constraint_name name, constraint_type text,
               definition text, fix text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT n.nspname, c.relname, k.conname,
           CASE k.contype WHEN 'f' THEN 'foreign key' WHEN 'c' THEN 'check' ELSE k.contype::text END,
           pg_get_constraintdef(k.oid),
           format('ALTER TABLE %I.%I VALIDATE CONSTRAINT %I;', n.nspname, c.relname, k.conname)
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE NOT k.convalidated AND k.contype IN ('f', 'c')
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
       AND ($1 IS NULL OR n.nspname = $1)
       AND @extschema@._changed_since(k.xmin, $2)
     ORDER BY 1, 2, 3
$$;

-- 2. indexes not valid or not ready (typically left by a failed CREATE INDEX CONCURRENTLY)
CREATE FUNCTION invalid_indexes(schema_name name DEFAULT NULL, since timestamptz DEFAULT NULL)
RETURNS TABLE (schema_name name, table_name name, index_name name, is_valid boolean,
               is_ready boolean, definition text, fix text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT n.nspname, t.relname, ic.relname, i.indisvalid, i.indisready,
           pg_get_indexdef(i.indexrelid),
           format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I; %s;', n.nspname, ic.relname,
                  regexp_replace(pg_get_indexdef(i.indexrelid), '^CREATE (UNIQUE )?INDEX ', 'CREATE \1INDEX CONCURRENTLY '))
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = ic.relnamespace
     WHERE (NOT i.indisvalid OR NOT i.indisready)
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
       AND ($1 IS NULL OR n.nspname = $1)
       AND @extschema@._changed_since(ic.xmin, $2)
     ORDER BY 1, 2, 3
$$;

-- 3. sessions waiting on locks, and who blocks them
CREATE FUNCTION lock_waits()
RETURNS TABLE (waiting_pid integer, waiting_role name, waiting_seconds double precision,
               waiting_query text, lock_type text, lock_mode text, relation text,
               blocking_pid integer, blocking_role name, blocking_state text,
               blocking_xact_seconds double precision, blocking_query text,
               idle_in_transaction boolean)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT w.pid, w.usename,
           extract(epoch FROM clock_timestamp() - coalesce(w.state_change, w.query_start))::float8,
           w.query, l.locktype, l.mode, l.relation::regclass::text,
           b.pid, b.usename, b.state,
           extract(epoch FROM clock_timestamp() - b.xact_start)::float8,
           b.query, b.state LIKE 'idle in transaction%'
      FROM pg_stat_activity w
      CROSS JOIN LATERAL unnest(pg_blocking_pids(w.pid)) AS bp(pid)
      JOIN pg_stat_activity b ON b.pid = bp.pid
      LEFT JOIN LATERAL (SELECT locktype, mode, relation FROM pg_locks
                          WHERE pid = w.pid AND NOT granted LIMIT 1) l ON true
     WHERE w.wait_event_type = 'Lock'
     ORDER BY 3 DESC, 1, 8
$$;

-- 4. foreign keys whose referencing columns lead no index
CREATE FUNCTION unindexed_foreign_keys(schema_name name DEFAULT NULL)
RETURNS TABLE (schema_name name, table_name name, constraint_name name, columns text,
               referenced_table text, fix text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT n.nspname, c.relname, k.conname,
           (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY u.ord)
              FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
              JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum),
           k.confrelid::regclass::text,
           format('CREATE INDEX CONCURRENTLY ON %I.%I (%s);', n.nspname, c.relname,
                  (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY u.ord)
                     FROM unnest(k.conkey) WITH ORDINALITY u(attnum, ord)
                     JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.attnum))
      FROM pg_constraint k
      JOIN pg_class c ON c.oid = k.conrelid
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE k.contype = 'f'
       AND n.nspname NOT IN ('pg_catalog', 'information_schema')
       AND ($1 IS NULL OR n.nspname = $1)
       AND NOT EXISTS (
             SELECT 1 FROM pg_index i
              WHERE i.indrelid = k.conrelid AND i.indpred IS NULL AND i.indisvalid
                AND (i.indkey::int2[])[0:cardinality(k.conkey) - 1] @> k.conkey)
     ORDER BY 1, 2, 3
$$;

-- 5. duplicate and redundant indexes
CREATE FUNCTION duplicate_indexes(schema_name name DEFAULT NULL)
RETURNS TABLE (schema_name name, table_name name, index_name name, kind text,
               covered_by name, index_bytes bigint, fix text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH idx AS (
        SELECT i.indexrelid, i.indrelid,
               -- int2vector / oidvector as 1-based arrays, so that slices line up
               string_to_array(i.indkey::text, ' ')::int2[] AS keys,
               string_to_array(i.indclass::text, ' ')::oid[] AS classes,
               string_to_array(i.indcollation::text, ' ')::oid[] AS colls,
               i.indisunique, i.indisprimary,
               coalesce(pg_get_expr(i.indexprs, i.indrelid), '') AS exprs,
               coalesce(pg_get_expr(i.indpred, i.indrelid), '') AS pred,
               c.relam, c.relname, n.nspname,
               k.conindid IS NOT NULL AS backs_constraint
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indexrelid
          JOIN pg_namespace n ON n.oid = c.relnamespace
          -- one pass over pg_constraint (it has no index on conindid)
          LEFT JOIN (SELECT DISTINCT conindid FROM pg_constraint WHERE conindid <> 0) k
                 ON k.conindid = i.indexrelid
         WHERE i.indisvalid
           AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
           AND ($1 IS NULL OR n.nspname = $1)
    )
    SELECT DISTINCT ON (a.nspname, t.relname, a.relname)
           a.nspname, t.relname, a.relname,
           CASE WHEN a.keys = b.keys THEN 'duplicate' ELSE 'redundant' END,
           b.relname, pg_relation_size(a.indexrelid),
           format('DROP INDEX CONCURRENTLY IF EXISTS %I.%I;', a.nspname, a.relname)
      FROM idx a
      JOIN idx b ON b.indrelid = a.indrelid AND b.indexrelid <> a.indexrelid
                AND b.relam = a.relam AND b.exprs = a.exprs AND b.pred = a.pred
      JOIN pg_class t ON t.oid = a.indrelid
     WHERE NOT a.backs_constraint
       AND cardinality(a.keys) <= cardinality(b.keys)
       AND a.keys = b.keys[1:cardinality(a.keys)]
       AND a.classes = b.classes[1:cardinality(a.classes)]
       AND a.colls = b.colls[1:cardinality(a.colls)]
       AND (NOT a.indisunique OR (b.indisunique AND a.keys = b.keys))
       -- of two identical indexes report one: keep the constraint's, else the older
       AND (a.keys <> b.keys OR b.backs_constraint OR b.indexrelid < a.indexrelid)
     ORDER BY 1, 2, 3, (a.keys = b.keys) DESC, b.relname
$$;

-- 6. tables without a primary key
CREATE FUNCTION tables_without_primary_key(schema_name name DEFAULT NULL)
RETURNS TABLE (schema_name name, table_name name, estimated_rows bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT n.nspname, c.relname, greatest(c.reltuples, 0)::bigint
      FROM pg_class c
      JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
       AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
       AND n.nspname <> '@extschema@'
       AND ($1 IS NULL OR n.nspname = $1)
       AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conrelid = c.oid AND k.contype = 'p')
     ORDER BY 1, 2
$$;

-- 7. sequences (and the integer columns they feed) past a fraction of their range
CREATE FUNCTION sequence_capacity(threshold double precision DEFAULT 0.5, schema_name name DEFAULT NULL)
RETURNS TABLE (sequence_name text, owned_by text, column_type text, last_value bigint,
               max_value bigint, used_fraction double precision, fix text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH s AS (
        SELECT format('%I.%I', sq.schemaname, sq.sequencename) AS seq, sq.schemaname,
               coalesce(sq.last_value, sq.start_value - sq.increment_by) AS last_value,
               sq.max_value, cs.oid AS seqoid
          FROM pg_sequences sq
          JOIN pg_namespace n ON n.nspname = sq.schemaname
          JOIN pg_class cs ON cs.relname = sq.sequencename AND cs.relnamespace = n.oid
         WHERE sq.increment_by > 0
           AND ($2 IS NULL OR sq.schemaname = $2)
    ), o AS (
        SELECT s.*, CASE WHEN a.attname IS NOT NULL THEN format('%s.%I', d.refobjid::regclass, a.attname) END AS col,
               t.typname,
               CASE t.typname WHEN 'int2' THEN 32767 WHEN 'int4' THEN 2147483647 ELSE NULL END AS col_max
          FROM s
          LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.seqoid
                               AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
          LEFT JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
          LEFT JOIN pg_type t ON t.oid = a.atttypid
    )
    SELECT seq, col, typname, last_value, least(max_value, coalesce(col_max, max_value)),
           last_value::float8 / least(max_value, coalesce(col_max, max_value)),
           CASE WHEN col_max IS NOT NULL
                THEN format('move %s to bigint (add a bigint column, backfill in batches, swap) before it runs out', col)
                ELSE format('ALTER SEQUENCE %s MAXVALUE ...; or plan a wider key', seq) END
      FROM o
     WHERE last_value::float8 / least(max_value, coalesce(col_max, max_value)) >= $1
     ORDER BY 6 DESC
$$;

-- The summary: one row per check, pass | warn | fail.
CREATE FUNCTION verify_migrations(schema_name name DEFAULT NULL, since timestamptz DEFAULT NULL)
RETURNS TABLE (check_name text, status text, object text, detail text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    r record;
    n integer;
BEGIN
    PERFORM @extschema@._check_since(since);

    n := 0;
    FOR r IN SELECT * FROM @extschema@.unvalidated_constraints(schema_name, since) LOOP
        n := n + 1;
        check_name := 'constraints validated'; status := 'fail';
        object := format('%I.%I.%I', r.schema_name, r.table_name, r.constraint_name);
        detail := format('%s constraint is NOT VALID; fix: %s', r.constraint_type, r.fix);
        RETURN NEXT;
    END LOOP;
    IF n = 0 THEN
        check_name := 'constraints validated'; status := 'pass'; object := NULL;
        detail := 'every foreign key and check constraint is validated'; RETURN NEXT;
    END IF;

    n := 0;
    FOR r IN SELECT * FROM @extschema@.invalid_indexes(schema_name, since) LOOP
        n := n + 1;
        check_name := 'indexes valid'; status := 'fail';
        object := format('%I.%I', r.schema_name, r.index_name);
        detail := format('index on %I is %s; fix: %s', r.table_name,
                         CASE WHEN NOT r.is_ready THEN 'not ready' ELSE 'not valid' END, r.fix);
        RETURN NEXT;
    END LOOP;
    IF n = 0 THEN
        check_name := 'indexes valid'; status := 'pass'; object := NULL;
        detail := 'every index is valid and ready'; RETURN NEXT;
    END IF;

    n := 0;
    FOR r IN SELECT * FROM @extschema@.lock_waits() LOOP
        n := n + 1;
        check_name := 'no lock waiters'; status := 'fail';
        object := format('pid %s', r.waiting_pid);
        detail := format('waiting %s s for %s on %s, blocked by pid %s (%s%s): %s',
                         round(r.waiting_seconds::numeric, 1), r.lock_mode, coalesce(r.relation, r.lock_type),
                         r.blocking_pid, r.blocking_state,
                         CASE WHEN r.idle_in_transaction THEN ', idle in transaction' ELSE '' END,
                         left(r.blocking_query, 200));
        RETURN NEXT;
    END LOOP;
    IF n = 0 THEN
        check_name := 'no lock waiters'; status := 'pass'; object := NULL;
        detail := 'no session is waiting on a lock'; RETURN NEXT;
    END IF;

    n := 0;
    FOR r IN SELECT * FROM @extschema@.unindexed_foreign_keys(schema_name) LOOP
        n := n + 1;
        check_name := 'foreign keys indexed'; status := 'warn';
        object := format('%I.%I.%I', r.schema_name, r.table_name, r.constraint_name);
        detail := format('no index leads with (%s); fix: %s', r.columns, r.fix);
        RETURN NEXT;
    END LOOP;
    IF n = 0 THEN
        check_name := 'foreign keys indexed'; status := 'pass'; object := NULL;
        detail := 'every foreign key has a supporting index'; RETURN NEXT;
    END IF;

    n := 0;
    FOR r IN SELECT * FROM @extschema@.duplicate_indexes(schema_name) LOOP
        n := n + 1;
        check_name := 'no duplicate indexes'; status := 'warn';
        object := format('%I.%I', r.schema_name, r.index_name);
        detail := format('%s of %I (%s); fix: %s', r.kind, r.covered_by, pg_size_pretty(r.index_bytes), r.fix);
        RETURN NEXT;
    END LOOP;
    IF n = 0 THEN
        check_name := 'no duplicate indexes'; status := 'pass'; object := NULL;
        detail := 'no index duplicates or is a prefix of another'; RETURN NEXT;
    END IF;

    n := 0;
    FOR r IN SELECT * FROM @extschema@.tables_without_primary_key(schema_name) LOOP
        n := n + 1;
        check_name := 'primary keys'; status := 'warn';
        object := format('%I.%I', r.schema_name, r.table_name);
        detail := format('table has no primary key (about %s rows)', r.estimated_rows);
        RETURN NEXT;
    END LOOP;
    IF n = 0 THEN
        check_name := 'primary keys'; status := 'pass'; object := NULL;
        detail := 'every table has a primary key'; RETURN NEXT;
    END IF;

    n := 0;
    FOR r IN SELECT * FROM @extschema@.sequence_capacity(0.5, schema_name) LOOP
        n := n + 1;
        check_name := 'sequence capacity';
        status := CASE WHEN r.used_fraction >= 0.9 THEN 'fail' ELSE 'warn' END;
        object := coalesce(r.owned_by, r.sequence_name);
        detail := format('%s%% of %s used (%s of %s); %s', round((r.used_fraction * 100)::numeric, 1),
                         coalesce(r.column_type, 'the sequence'), r.last_value, r.max_value, r.fix);
        RETURN NEXT;
    END LOOP;
    IF n = 0 THEN
        check_name := 'sequence capacity'; status := 'pass'; object := NULL;
        detail := 'every sequence and integer key is below half of its range'; RETURN NEXT;
    END IF;

    -- is anything checking DDL? PostgreSQL 17's event_triggers = off (a superuser-only
    -- setting) silences every event trigger, audit's included
    check_name := 'enforcement active'; object := NULL;
    IF coalesce(current_setting('event_triggers', true), 'on') = 'off' THEN
        status := 'fail';
        detail := 'event_triggers is off in this session: audit''s event triggers do not fire, DDL runs unchecked';
    ELSIF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'audit') THEN
        -- the tool's copy of these functions, where the extension cannot be installed
        status := 'warn';
        detail := CASE WHEN EXISTS (SELECT 1 FROM pg_event_trigger
                                     WHERE evtname = 'audit_guard_table_rewrite' AND evtenabled <> 'D')
                       THEN 'the audit extension is not installed here: only the portable guard checks DDL (table rewrites)'
                       ELSE 'the audit extension is not installed here: nothing checks DDL as it runs' END;
    ELSIF NOT EXISTS (SELECT 1 FROM pg_event_trigger
                       WHERE evtname IN ('audit_ddl_command_start', 'audit_table_rewrite')
                         AND evtenabled <> 'D') THEN
        status := 'fail'; detail := 'audit''s event triggers are disabled';
    ELSIF current_setting('audit.enforcement', true) = 'off' THEN
        status := 'warn'; detail := 'audit.enforcement is off: DDL runs unchecked';
    ELSE
        status := 'pass'; detail := 'audit''s event triggers are enabled';
    END IF;
    RETURN NEXT;
END
$$;

CREATE FUNCTION verify_migrations_json(schema_name name DEFAULT NULL, since timestamptz DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object(
        'status', CASE WHEN bool_or(v.status = 'fail') THEN 'fail'
                       WHEN bool_or(v.status = 'warn') THEN 'warn' ELSE 'pass' END,
        'checks', coalesce(jsonb_agg(to_jsonb(v) ORDER BY v.check_name, v.object), '[]'::jsonb))
      FROM @extschema@.verify_migrations($1, $2) v
$$;

---------------------------------------------------------------------------------------------
-- Assertions: return quietly, or raise SQLSTATE P0004 (assert_failure) with DETAIL and HINT.
-- A missing object raises the cast's own error (42P01 for a table, 42704 for others).
---------------------------------------------------------------------------------------------

CREATE FUNCTION assert_constraint_valid(table_name regclass, constraint_name name) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k pg_constraint;
BEGIN
    SELECT * INTO k FROM pg_constraint WHERE conrelid = table_name AND conname = constraint_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'constraint "%" of relation % does not exist', constraint_name, table_name
            USING ERRCODE = 'undefined_object',
                  DETAIL = 'audit.assert_constraint_valid() found no such constraint.',
                  HINT = 'Check the name with \d+ in psql.';
    END IF;
    IF NOT k.convalidated THEN
        RAISE EXCEPTION 'constraint "%" of relation % is not validated', constraint_name, table_name
            USING ERRCODE = 'assert_failure',
                  DETAIL = format('%s', pg_get_constraintdef(k.oid)),
                  HINT = format('Run ALTER TABLE %s VALIDATE CONSTRAINT %I; in its own transaction.', table_name, constraint_name);
    END IF;
END
$$;

CREATE FUNCTION assert_index_valid(index_name regclass) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    i pg_index;
BEGIN
    SELECT * INTO i FROM pg_index WHERE indexrelid = index_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION '% is not an index', index_name
            USING ERRCODE = 'wrong_object_type',
                  DETAIL = 'audit.assert_index_valid() takes an index.',
                  HINT = 'Pass the index name, for example ''public.recipe_title_idx''.';
    END IF;
    IF NOT (i.indisvalid AND i.indisready) THEN
        RAISE EXCEPTION 'index % is not valid', index_name
            USING ERRCODE = 'assert_failure',
                  DETAIL = format('indisvalid = %s, indisready = %s: a CREATE INDEX CONCURRENTLY failed or is still running.', i.indisvalid, i.indisready),
                  HINT = format('Drop it with DROP INDEX CONCURRENTLY %s; and build it again: %s',
                                index_name, regexp_replace(pg_get_indexdef(index_name), '^CREATE (UNIQUE )?INDEX ', 'CREATE \1INDEX CONCURRENTLY '));
    END IF;
END
$$;

-- every constraint and index of one table, or of one schema
CREATE FUNCTION assert_all_valid(table_name regclass) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad text;
BEGIN
    SELECT string_agg(x, ', ') INTO bad FROM (
        SELECT format('constraint %I', conname) AS x FROM pg_constraint
         WHERE conrelid = table_name AND NOT convalidated
        UNION ALL
        SELECT format('index %s', indexrelid::regclass) FROM pg_index
         WHERE indrelid = table_name AND NOT (indisvalid AND indisready)) s;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'relation % has invalid constraints or indexes', table_name
            USING ERRCODE = 'assert_failure', DETAIL = format('Not valid: %s.', bad),
                  HINT = format('SELECT * FROM audit.verify_migrations() WHERE status <> ''pass''; lists the fixes.');
    END IF;
END
$$;

CREATE FUNCTION assert_schema_valid(schema_name name) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    bad text;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_namespace WHERE nspname = schema_name) THEN
        RAISE EXCEPTION 'schema "%" does not exist', schema_name
            USING ERRCODE = 'invalid_schema_name', DETAIL = 'audit.assert_schema_valid() found no such schema.',
                  HINT = 'Check the name with \dn in psql.';
    END IF;
    SELECT string_agg(x, ', ') INTO bad FROM (
        SELECT format('constraint %I.%I.%I', u.schema_name, u.table_name, u.constraint_name) AS x
          FROM @extschema@.unvalidated_constraints(schema_name) u
        UNION ALL
        SELECT format('index %I.%I', v.schema_name, v.index_name) FROM @extschema@.invalid_indexes(schema_name) v) s;
    IF bad IS NOT NULL THEN
        RAISE EXCEPTION 'schema "%" has invalid constraints or indexes', schema_name
            USING ERRCODE = 'assert_failure', DETAIL = format('Not valid: %s.', bad),
                  HINT = format('SELECT * FROM audit.verify_migrations(%L) WHERE status <> ''pass''; lists the fixes.', schema_name);
    END IF;
END
$$;

CREATE FUNCTION assert_no_lock_waiters() RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    w record;
    n integer;
BEGIN
    SELECT count(*) INTO n FROM @extschema@.lock_waits();
    IF n > 0 THEN
        SELECT * INTO w FROM @extschema@.lock_waits() LIMIT 1;
        RAISE EXCEPTION '% session(s) waiting on locks', n
            USING ERRCODE = 'assert_failure',
                  DETAIL = format('pid %s waits for %s on %s, blocked by pid %s (%s): %s', w.waiting_pid, w.lock_mode,
                                  coalesce(w.relation, w.lock_type), w.blocking_pid, w.blocking_state, left(w.blocking_query, 200)),
                  HINT = 'SELECT * FROM audit.lock_waits(); shows them all; end the blocker (pg_cancel_backend / pg_terminate_backend) or wait.';
    END IF;
END
$$;

CREATE FUNCTION assert_timeouts(max_lock_timeout interval DEFAULT '10s', max_statement_timeout interval DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    lt interval := (current_setting('lock_timeout')::text || CASE WHEN current_setting('lock_timeout') ~ '^[0-9]+$' THEN 'ms' ELSE '' END)::interval;
    st interval := (current_setting('statement_timeout')::text || CASE WHEN current_setting('statement_timeout') ~ '^[0-9]+$' THEN 'ms' ELSE '' END)::interval;
BEGIN
    IF lt = '0'::interval OR lt > max_lock_timeout THEN
        RAISE EXCEPTION 'lock_timeout is %, not set to at most %s', current_setting('lock_timeout'), trim_scale(extract(epoch FROM max_lock_timeout))
            USING ERRCODE = 'assert_failure',
                  DETAIL = 'Without a lock_timeout a DDL statement can wait behind a long transaction and block every query queued behind it.',
                  HINT = format('SET lock_timeout = ''%ss''; before the DDL.', trim_scale(extract(epoch FROM max_lock_timeout)));
    END IF;
    IF max_statement_timeout IS NOT NULL AND (st = '0'::interval OR st > max_statement_timeout) THEN
        RAISE EXCEPTION 'statement_timeout is %, not set to at most %s', current_setting('statement_timeout'), trim_scale(extract(epoch FROM max_statement_timeout))
            USING ERRCODE = 'assert_failure',
                  DETAIL = 'A step that runs longer than planned keeps its locks for as long as it runs.',
                  HINT = format('SET statement_timeout = ''%ss''; before the DDL.', trim_scale(extract(epoch FROM max_statement_timeout)));
    END IF;
END
$$;

CREATE FUNCTION assert_extension(extension_name name, min_version text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v text;
BEGIN
    SELECT extversion INTO v FROM pg_extension WHERE extname = extension_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'extension "%" is not installed', extension_name
            USING ERRCODE = 'assert_failure',
                  DETAIL = format('Available: %s.', coalesce((SELECT default_version FROM pg_available_extensions WHERE name = extension_name), 'not on this server')),
                  HINT = format('CREATE EXTENSION %I; first (it may need a superuser).', extension_name);
    END IF;
    IF min_version IS NOT NULL
       AND string_to_array(regexp_replace(v, '[^0-9.]', '', 'g'), '.')::int[]
         < string_to_array(regexp_replace(min_version, '[^0-9.]', '', 'g'), '.')::int[] THEN
        RAISE EXCEPTION 'extension "%" is version %, older than %', extension_name, v, min_version
            USING ERRCODE = 'assert_failure', DETAIL = 'The migration needs a newer version.',
                  HINT = format('ALTER EXTENSION %I UPDATE;', extension_name);
    END IF;
END
$$;

CREATE FUNCTION assert_no_nulls(table_name regclass, column_name name) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = table_name AND attname = column_name
                                                AND attnum > 0 AND NOT attisdropped) THEN
        RAISE EXCEPTION 'column "%" of relation % does not exist', column_name, table_name
            USING ERRCODE = 'undefined_column', DETAIL = 'audit.assert_no_nulls() found no such column.',
                  HINT = 'Check the name with \d in psql.';
    END IF;
    EXECUTE format('SELECT count(*) FROM %s WHERE %I IS NULL', table_name, column_name) INTO n;
    IF n > 0 THEN
        RAISE EXCEPTION 'column "%" of relation % has % NULL value(s)', column_name, table_name, n
            USING ERRCODE = 'assert_failure',
                  DETAIL = 'SET NOT NULL would fail on them.',
                  HINT = format('Backfill first: UPDATE %s SET %I = ... WHERE %I IS NULL (in batches).', table_name, column_name, column_name);
    END IF;
END
$$;

-- no rows that would violate a (NOT VALID) foreign key or check constraint, before VALIDATE
CREATE FUNCTION assert_constraint_satisfied(table_name regclass, constraint_name name, sample_size integer DEFAULT 5)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    k pg_constraint;
    cond text;
    n bigint;
    sample text;
BEGIN
    SELECT * INTO k FROM pg_constraint WHERE conrelid = table_name AND conname = constraint_name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'constraint "%" of relation % does not exist', constraint_name, table_name
            USING ERRCODE = 'undefined_object', DETAIL = 'audit.assert_constraint_satisfied() found no such constraint.',
                  HINT = 'Check the name with \d+ in psql.';
    END IF;
    IF k.contype = 'c' THEN
        cond := format('NOT (%s)', pg_get_expr(k.conbin, k.conrelid));
    ELSIF k.contype = 'f' THEN
        SELECT format('%s AND NOT EXISTS (SELECT 1 FROM %s p WHERE %s)',
                      string_agg(format('c.%I IS NOT NULL', ca.attname), ' AND ' ORDER BY u.ord),
                      k.confrelid::regclass,
                      string_agg(format('p.%I = c.%I', pa.attname, ca.attname), ' AND ' ORDER BY u.ord))
          INTO cond
          FROM unnest(k.conkey, k.confkey) WITH ORDINALITY AS u(ck, pk, ord)
          JOIN pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = u.ck
          JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = u.pk;
    ELSE
        RAISE EXCEPTION 'constraint "%" is neither a foreign key nor a check', constraint_name
            USING ERRCODE = 'wrong_object_type', DETAIL = 'Only foreign keys and checks can be NOT VALID.',
                  HINT = 'Use audit.assert_constraint_valid() for other constraints.';
    END IF;
    EXECUTE format('SELECT count(*) FROM %s c WHERE %s', table_name, cond) INTO n;
    IF n > 0 THEN
        EXECUTE format('SELECT string_agg(t::text, '', '') FROM (SELECT c FROM %s c WHERE %s LIMIT %s) s(t)',
                       table_name, cond, sample_size) INTO sample;
        RAISE EXCEPTION '% row(s) of % violate constraint "%"', n, table_name, constraint_name
            USING ERRCODE = 'assert_failure',
                  DETAIL = format('Sample: %s', sample),
                  HINT = 'Fix or delete these rows before VALIDATE CONSTRAINT, which would fail on them.';
    END IF;
END
$$;

CREATE FUNCTION assert_row_count(table_name regclass, min_rows bigint DEFAULT 0, max_rows bigint DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', table_name) INTO n;
    IF n < coalesce(min_rows, 0) OR (max_rows IS NOT NULL AND n > max_rows) THEN
        RAISE EXCEPTION 'relation % has % rows, outside [%, %]', table_name, n, coalesce(min_rows, 0), coalesce(max_rows::text, 'no limit')
            USING ERRCODE = 'assert_failure',
                  DETAIL = 'The row count is not what the migration expects.',
                  HINT = 'Check that the data the migration relies on is there (or was not deleted by an earlier step).';
    END IF;
END
$$;

---------------------------------------------------------------------------------------------
-- Restore points
---------------------------------------------------------------------------------------------
CREATE TABLE restore_points (
    name       text NOT NULL,
    lsn        pg_lsn NOT NULL,
    created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    created_by name NOT NULL DEFAULT current_user
);
REVOKE ALL ON restore_points FROM PUBLIC;
GRANT SELECT, INSERT ON restore_points TO audit_admin;
SELECT pg_catalog.pg_extension_config_dump('restore_points', '');

CREATE FUNCTION restore_point(name text) RETURNS pg_lsn
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    lsn pg_lsn;
BEGIN
    IF current_setting('wal_level') = 'minimal' THEN
        RAISE EXCEPTION 'cannot create restore point "%": wal_level is minimal', name
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'Restore points are WAL records; with wal_level = minimal there is no archive to recover them from.',
                  HINT = 'Set wal_level = replica (and archive WAL) in postgresql.conf and restart.';
    END IF;
    IF length(name) >= 64 THEN
        RAISE EXCEPTION 'restore point name is too long'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = format('It has %s characters; the limit is 63.', length(name)),
                  HINT = 'Use a shorter name, for example the migration version.';
    END IF;
    BEGIN
        lsn := pg_create_restore_point(name);
    EXCEPTION WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'permission denied to create restore point "%"', name
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role %I may not execute pg_create_restore_point().', current_user),
                  HINT = 'A superuser can GRANT EXECUTE ON FUNCTION pg_create_restore_point(text) TO the role (and audit_admin to record it).';
    END;
    INSERT INTO @extschema@.restore_points (name, lsn) VALUES (restore_point.name, lsn);
    RETURN lsn;
END
$$;

-- Views over the audits, for SELECT * FROM audit.<name> without parentheses.
CREATE VIEW unvalidated_constraints AS SELECT * FROM @extschema@.unvalidated_constraints();
CREATE VIEW invalid_indexes AS SELECT * FROM @extschema@.invalid_indexes();
CREATE VIEW lock_waits AS SELECT * FROM @extschema@.lock_waits();
CREATE VIEW unindexed_foreign_keys AS SELECT * FROM @extschema@.unindexed_foreign_keys();
CREATE VIEW duplicate_indexes AS SELECT * FROM @extschema@.duplicate_indexes();
CREATE VIEW tables_without_primary_key AS SELECT * FROM @extschema@.tables_without_primary_key();
CREATE VIEW verification AS SELECT * FROM @extschema@.verify_migrations();
