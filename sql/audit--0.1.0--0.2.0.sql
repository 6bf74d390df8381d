-- audit 0.1.0 -> 0.2.0: the deployment history of audit deploy and audit rollback.

CREATE TABLE deployments (
    id              bigserial PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('deploy', 'rollback')),
    fingerprint     text NOT NULL,
    staging_report  jsonb,
    started_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    finished_at     timestamptz,
    deployed_by     name NOT NULL DEFAULT session_user,
    client_addr     inet DEFAULT pg_catalog.inet_client_addr(),
    tool_version    text,
    outcome         text NOT NULL DEFAULT 'running'
                    CHECK (outcome IN ('running', 'deployed', 'failed', 'verify failed', 'rolled back')),
    restore_point   text,
    restore_lsn     pg_lsn,
    detail          text
);
COMMENT ON TABLE deployments IS 'audit: each audit deploy and audit rollback run: the batch fingerprint, the staging report it was gated by, who, when, outcome, restore point';

CREATE TABLE deployment_files (
    deployment_id   bigint NOT NULL REFERENCES deployments (id),
    file            text NOT NULL,
    sha256          text NOT NULL,
    action          text NOT NULL CHECK (action IN ('apply', 'rollback')),
    outcome         text NOT NULL CHECK (outcome IN ('applied', 'failed')),
    finished_at     timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    seconds         double precision,
    error           text,
    PRIMARY KEY (deployment_id, file, action)
);
COMMENT ON TABLE deployment_files IS 'audit: each migration file a deploy applied (or a rollback undid), with its sha256 and outcome';

-- Which files are in place now: a file's latest successful apply or rollback decides.
CREATE VIEW applied_migrations AS
SELECT x.file, x.sha256, x.deployment_id, x.applied_at, x.deployed_by
  FROM (SELECT DISTINCT ON (f.file) f.file, f.sha256, f.deployment_id, f.finished_at AS applied_at,
               d.deployed_by, f.action
          FROM @extschema@.deployment_files f JOIN @extschema@.deployments d ON d.id = f.deployment_id
         WHERE f.outcome = 'applied'
         ORDER BY f.file, f.finished_at DESC, f.deployment_id DESC) x
 WHERE x.action = 'apply';
COMMENT ON VIEW applied_migrations IS 'audit: the migration files in place now (applied by audit deploy and not rolled back since)';

REVOKE ALL ON deployments, deployment_files, applied_migrations FROM PUBLIC;
REVOKE ALL ON SEQUENCE deployments_id_seq FROM PUBLIC;
GRANT SELECT, INSERT, UPDATE ON deployments, deployment_files TO audit_admin;
GRANT SELECT ON applied_migrations TO audit_admin;
GRANT USAGE ON SEQUENCE deployments_id_seq TO audit_admin;
SELECT pg_catalog.pg_extension_config_dump('deployments', '');
SELECT pg_catalog.pg_extension_config_dump('deployment_files', '');
SELECT pg_catalog.pg_extension_config_dump('deployments_id_seq', '');

-- audit.trace(): a statement that needs a lock its transaction already holds names it in
-- `locks` ("AccessExclusiveLock on public.t, held since statement 2").
CREATE OR REPLACE FUNCTION trace(sql text, lock_timeout interval DEFAULT '2s',
                      hold_threshold interval DEFAULT '1s',
                      autocommit boolean DEFAULT false, rule_levels text DEFAULT NULL)
RETURNS TABLE (statement integer, line integer, xact integer, query text, outcome text,
               duration interval, rows bigint, locks text[], held text[], rewritten text[],
               scanned text[], trigger text, trigger_rules text[], lint_rules text[],
               sqlstate text, error text, note text)
LANGUAGE sql VOLATILE AS $$
    SELECT (s->>'statement')::integer, (s->>'line')::integer, (s->>'xact')::integer,
           s->>'query', s->>'outcome',
           pg_catalog.make_interval(secs => (s->>'duration_ms')::float8 / 1000),
           (s->>'rows')::bigint,
           ARRAY(SELECT pg_catalog.format('%s on %s', l->>'mode', l->>'relation')
                   FROM pg_catalog.jsonb_array_elements(s->'locks') l)
             || ARRAY(SELECT pg_catalog.format('%s on %s, held since statement %s', h->>'mode',
                             h->>'relation', h->>'since')
                        FROM pg_catalog.jsonb_array_elements(s->'already_held') h),
           ARRAY(SELECT pg_catalog.format('%s on %s for %s s, to statement %s', l->>'mode',
                        l->>'relation', round((l->>'held_ms')::numeric / 1000, 2),
                        l->>'released_after')
                   FROM pg_catalog.jsonb_array_elements(s->'locks') l
                  WHERE (l->>'blocks_writes')::boolean AND (l->>'existing')::boolean
                    AND (l->>'strongest')::boolean),
           ARRAY(SELECT pg_catalog.format('%s (%s rows)', r->>'relation', r->>'rows')
                   FROM pg_catalog.jsonb_array_elements(s->'rewritten') r),
           ARRAY(SELECT pg_catalog.format('%s (%s rows, %s scan%s)', r->>'relation', r->>'rows',
                        r->>'scans', CASE WHEN r->>'scans' = '1' THEN '' ELSE 's' END)
                   FROM pg_catalog.jsonb_array_elements(s->'scanned') r),
           s->>'trigger',
           ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s->'trigger_rules')),
           ARRAY(SELECT pg_catalog.jsonb_array_elements_text(s->'lint_rules')),
           s->>'sqlstate', s->>'error', s->>'note'
      FROM pg_catalog.jsonb_array_elements(
               @extschema@.trace_json(sql, lock_timeout, hold_threshold, autocommit, rule_levels)->'statements')
           WITH ORDINALITY AS t(s, n)
     ORDER BY n
$$;

-- audit.verify_migrations(): where the extension is not installed (the tool's copy of these
-- functions), "enforcement active" is a warning that says so, not a failure.
CREATE OR REPLACE FUNCTION verify_migrations(schema_name name DEFAULT NULL, since timestamptz DEFAULT NULL)
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

-- Baselines estimate rows as the lint does (_sizes(), the planner's estimate): the statistics
-- collector's live-tuple count can hold a table's rows twice when it was filled and analyzed
-- at once.
-- Rows and bytes of each relation in `$1` (`oid[]`): one row `(oid, rows, bytes)` per oid.
-- A partitioned table counts its leaf partitions at every level, and one with no partitions
-- is empty (never its own heap, which has no storage). Rows are the planner's estimate:
-- `reltuples` scaled by the current size over `relpages`, so that a table filled since its
-- last ANALYZE counts its new rows, and a table filled and analyzed in one go is not counted
-- twice (the statistics collector's live-tuple count can hold both). Without a measured
-- density, the live-tuple count. A table with no page holds no row, analyzed or not (0 rows,
-- 0 bytes: empty). Any other table never analyzed, vacuumed or seen written is not
-- measured at all (`NULL`, not small). The current size is read only where no other session holds
-- or awaits an ACCESS EXCLUSIVE lock on the relation (reading it would wait); `NULL`: not
-- known, never a made-up 0.
-- One text for every client: audit_rules::catalog_sql::SIZES is this function's body, which
-- the tool runs over its connection where no schema of audit's exists.
CREATE FUNCTION _sizes(rels oid[])
RETURNS TABLE (relid oid, est_rows int8, bytes int8)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $sizes$
WITH busy AS MATERIALIZED (
  -- read once: relations another session holds or awaits ACCESS EXCLUSIVE on
  SELECT k.relation FROM pg_catalog.pg_locks k
   WHERE k.locktype = 'relation' AND k.mode = 'AccessExclusiveLock'
     AND k.pid <> pg_catalog.pg_backend_pid())
SELECT r.oid,
       CASE WHEN bool_and(l.rows IS NOT NULL) OR count(l.leaf) = 0
            THEN coalesce(sum(l.rows), 0)::int8 END,
       CASE WHEN bool_and(l.bytes IS NOT NULL) OR count(l.leaf) = 0
            THEN coalesce(sum(l.bytes), 0)::int8 END
  -- (through a subquery the planner looks each relation up by its oid; given the array's
  -- length it scans all of pg_class, ten times slower with 10,000 tables)
  FROM unnest((SELECT $1::oid[])) AS r(oid)
  JOIN pg_catalog.pg_class rc ON rc.oid = r.oid AND rc.relkind IN ('r', 'p', 'm', 't')
  LEFT JOIN LATERAL (
    SELECT s.leaf,
           CASE WHEN s.pages = 0 THEN 0
                WHEN NOT s.known THEN NULL
                WHEN s.reltuples >= 0 AND s.relpages > 0 AND s.pages IS NOT NULL
                  THEN round(s.reltuples / s.relpages * s.pages)
                WHEN s.live > 0 OR s.dead > 0 THEN s.live
                WHEN s.reltuples >= 0 THEN s.reltuples END AS rows,
           CASE WHEN s.known OR s.pages = 0
                THEN coalesce(s.pages, CASE WHEN s.relpages > 0 OR s.reltuples >= 0
                                            THEN s.relpages END)
                     * current_setting('block_size')::int8 END AS bytes
      FROM (SELECT c.oid AS leaf, c.reltuples, c.relpages,
                   pg_catalog.pg_stat_get_live_tuples(c.oid) AS live,
                   pg_catalog.pg_stat_get_dead_tuples(c.oid) AS dead,
                   -- measured at all: analyzed or vacuumed, or seen written
                   c.reltuples >= 0 OR pg_catalog.pg_stat_get_live_tuples(c.oid) > 0
                     OR pg_catalog.pg_stat_get_dead_tuples(c.oid) > 0 AS known,
                   CASE WHEN c.relkind IN ('r', 'm', 't')
                             AND c.oid NOT IN (SELECT b.relation FROM busy b)
                        THEN pg_catalog.pg_relation_size(c.oid)
                             / current_setting('block_size')::int8 END AS pages
              FROM (-- a table outside a partition tree, or a partition, is its own leaf
                    SELECT r.oid AS relid WHERE rc.relkind <> 'p'
                    UNION ALL
                    SELECT p.relid::oid FROM pg_catalog.pg_partition_tree(r.oid) p
                     WHERE rc.relkind = 'p' AND p.isleaf) t
              -- one index lookup per leaf (OFFSET 0 keeps the planner from hashing pg_class)
              CROSS JOIN LATERAL (SELECT * FROM pg_catalog.pg_class c0
                                   WHERE c0.oid = t.relid OFFSET 0) c) s
  ) l ON true
 GROUP BY r.oid
$sizes$;

-- user tables now, without waiting for a lock: rows are the planner's estimate, as the lint
-- counts them (_sizes()), 0 where never measured; bytes are the pages of the table, its TOAST
-- and its indexes as of their last VACUUM or ANALYZE. exact => true counts rows and sizes for
-- real (a lock and a scan per table).
CREATE OR REPLACE FUNCTION _tables_estimated()
RETURNS TABLE (relid oid, table_name text, estimated_rows bigint, exact_rows bigint, total_bytes bigint,
               seq_scan bigint, idx_scan bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    WITH rel AS MATERIALIZED (
        SELECT c.oid, c.relname, c.relpages, c.reltoastrelid, ns.nspname
          FROM pg_class c
          JOIN pg_namespace ns ON ns.oid = c.relnamespace
         WHERE c.relkind IN ('r', 'p', 'm')
           AND ns.nspname NOT IN ('pg_catalog', 'information_schema', '@extschema@')
           AND ns.nspname NOT LIKE 'pg_toast%' AND ns.nspname NOT LIKE 'pg_temp%')
    -- the pg_stat_get_* functions directly: pg_stat_user_tables computes far more per row
    SELECT c.oid, format('%I.%I', c.nspname, c.relname), coalesce(z.est_rows, 0),
           NULL::bigint,
           (c.relpages::bigint + coalesce(t.relpages, 0) + coalesce(ix.pages, 0))
             * current_setting('block_size')::bigint,
           pg_stat_get_numscans(c.oid), coalesce(ix.scans, 0)
      FROM rel c
      LEFT JOIN @extschema@._sizes((SELECT array_agg(r.oid) FROM rel r)) z ON z.relid = c.oid
      LEFT JOIN pg_class t ON t.oid = c.reltoastrelid
      LEFT JOIN (SELECT i.indrelid, sum(ic.relpages)::bigint AS pages,
                        sum(pg_stat_get_numscans(i.indexrelid))::bigint AS scans
                   FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid
                  GROUP BY i.indrelid) ix ON ix.indrelid = c.oid
$$;

-- The blockers' query has one text for the extension and the tool (_lock_holders_of()).
-- Sessions holding a lock on the relations rels: who blocks a statement that needs them
-- (the blockers of run_with_retry(), audit.trace() and audit trace). One text for every client:
-- audit_rules::rehearsal::HOLDERS is this function's body, which the tool runs over its
-- connection where no schema of audit's exists.
CREATE FUNCTION _lock_holders_of(rels oid[]) RETURNS jsonb
LANGUAGE sql STABLE AS $holders$
    SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_object(
               'pid', a.pid, 'role', a.usename, 'state', a.state,
               'relation', l.relation::regclass::text, 'mode', l.mode,
               'transaction_age', (now() - a.xact_start)::text,
               'query', left(a.query, 200))), '[]'::jsonb)
      FROM pg_locks l
      JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.granted AND l.pid <> pg_backend_pid() AND l.locktype = 'relation'
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
       AND l.relation = ANY ($1::oid[])
$holders$;

-- Sessions holding a lock on the relations the statement needs: who blocked an attempt.
CREATE OR REPLACE FUNCTION _lock_holders(sql text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT @extschema@._lock_holders_of(ARRAY(SELECT @extschema@._statement_relations(sql)))
$$;

-- run_with_retry() is one text for the extension and the portable guard: its checks move to
-- _retry_check(), its refusals to _retry_refuse().
-- Refuse what run_with_retry() cannot retry: other than exactly one statement, or transaction
-- control.
CREATE FUNCTION _retry_check(sql text) RETURNS void
LANGUAGE plpgsql STABLE AS $$
BEGIN
    PERFORM @extschema@._retry_refuse(
        @extschema@.parse_count(sql),
        EXISTS (SELECT 1 FROM @extschema@.statement_model(sql) m WHERE m.model LIKE 'Transaction(%'));
END
$$;

-- run_with_retry()'s refusals, one text for the extension's _retry_check() and the guard's.
CREATE FUNCTION _retry_refuse(statements integer, transaction_control boolean) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF statements <> 1 THEN
        RAISE EXCEPTION 'run_with_retry() runs exactly one statement, not %', statements
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Each statement is retried on its own, with its own lock wait.',
                  HINT = 'Call it once per statement.';
    END IF;
    IF transaction_control THEN
        RAISE EXCEPTION 'run_with_retry() cannot run transaction control'
            USING ERRCODE = 'invalid_transaction_termination',
                  DETAIL = 'Each attempt runs in a subtransaction of the caller''s transaction.',
                  HINT = 'Pass the DDL statement itself.';
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION run_with_retry(sql text, lock_timeout interval DEFAULT '1s',
                               attempts integer DEFAULT 10, backoff interval DEFAULT '200ms',
                               max_backoff interval DEFAULT '30s')
RETURNS TABLE (attempt integer, outcome text, duration interval, blockers jsonb)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    k integer := 0;
    t0 timestamptz;
    saved text := current_setting('lock_timeout');
    holders jsonb;
    pause double precision;
BEGIN
    IF sql IS NULL OR attempts IS NULL OR lock_timeout IS NULL OR backoff IS NULL THEN
        RAISE EXCEPTION 'run_with_retry() needs a statement, a lock_timeout, attempts and a backoff'
            USING ERRCODE = 'null_value_not_allowed', DETAIL = 'An argument is NULL.',
                  HINT = 'SELECT * FROM audit.run_with_retry(''ALTER TABLE ...'', ''1s'', 10);';
    END IF;
    IF attempts < 1 THEN
        RAISE EXCEPTION 'attempts must be at least 1, not %', attempts
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'It is how often the statement is tried.',
                  HINT = 'Pass attempts => 10, for example.';
    END IF;
    IF lock_timeout <= interval '0' OR backoff < interval '0' OR max_backoff < backoff THEN
        RAISE EXCEPTION 'lock_timeout must be positive and 0 <= backoff <= max_backoff'
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = format('lock_timeout %s, backoff %s, max_backoff %s.', lock_timeout, backoff, max_backoff),
                  HINT = 'A lock_timeout of 0 would wait forever, which is what retrying avoids.';
    END IF;
    PERFORM @extschema@._retry_check(sql);
    LOOP
        k := k + 1;
        t0 := clock_timestamp();
        PERFORM set_config('lock_timeout', (extract(epoch FROM lock_timeout) * 1000)::bigint::text, true);
        BEGIN
            EXECUTE sql;
            PERFORM set_config('lock_timeout', saved, true);
            attempt := k; outcome := 'done'; duration := clock_timestamp() - t0; blockers := NULL;
            RETURN NEXT;
            RETURN;
        EXCEPTION WHEN lock_not_available THEN
            PERFORM set_config('lock_timeout', saved, true);
            holders := @extschema@._lock_holders(sql);
            attempt := k; outcome := 'lock timeout'; duration := clock_timestamp() - t0; blockers := holders;
            RETURN NEXT;
            IF k >= attempts THEN
                RAISE EXCEPTION 'could not obtain the locks for the statement in % attempts', attempts
                    USING ERRCODE = 'lock_not_available',
                          DETAIL = format('Sessions holding locks on its tables at the last attempt: %s', holders),
                          HINT = 'End or wait for the blocking transactions (pg_terminate_backend() on an idle one), or retry later with more attempts.';
            END IF;
            -- exponential backoff with full jitter, capped
            pause := least(extract(epoch FROM max_backoff),
                           extract(epoch FROM backoff) * power(2, k - 1)) * (0.5 + random() / 2);
            RAISE NOTICE 'attempt % of % could not get its locks within %; retrying in % s',
                k, attempts, lock_timeout, round(pause::numeric, 3)
                USING DETAIL = format('Blocking sessions: %s', holders);
            PERFORM pg_sleep(pause);
        END;
    END LOOP;
END
$$;
