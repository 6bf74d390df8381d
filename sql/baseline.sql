-- Performance baselines around a rollout: capture before, compare after, decide.
-- pg_stat_statements counters are cumulative, so a comparison uses windows: the "before"
-- window is what the counters held at the capture, the "after" window is the difference
-- between a later capture (or now) and it.

-- The detail tables carry no foreign key to baselines: a capture inserts tens of thousands of
-- rows, and a per-row FK check was a third of its cost. audit's functions keep them in step
-- (capture_baseline writes all four, drop_baseline deletes from all four).
CREATE TABLE baselines (
    label            text PRIMARY KEY,
    captured_at      timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    captured_by      name NOT NULL DEFAULT current_user,
    has_statements   boolean NOT NULL,
    statements_reset timestamptz,
    exact_rows       boolean NOT NULL
);
CREATE TABLE baseline_statements (
    label            text NOT NULL,
    queryid          bigint NOT NULL,
    userid           oid NOT NULL,
    query            text,
    calls            bigint NOT NULL,
    total_exec_time  double precision NOT NULL,
    rows             bigint NOT NULL,
    shared_blks_hit  bigint NOT NULL,
    shared_blks_read bigint NOT NULL,
    PRIMARY KEY (label, queryid, userid)
);
CREATE TABLE baseline_tables (
    label          text NOT NULL,
    relid          oid NOT NULL,
    table_name     text NOT NULL,
    estimated_rows bigint NOT NULL,
    exact_rows     bigint,
    total_bytes    bigint NOT NULL,
    seq_scan       bigint,
    idx_scan       bigint,
    PRIMARY KEY (label, table_name)
);
CREATE TABLE baseline_indexes (
    label      text NOT NULL,
    index_name text NOT NULL,
    table_name text NOT NULL,
    bytes      bigint NOT NULL,
    idx_scan   bigint,
    PRIMARY KEY (label, index_name)
);
REVOKE ALL ON baselines, baseline_statements, baseline_tables, baseline_indexes FROM PUBLIC;
GRANT SELECT, INSERT, DELETE ON baselines, baseline_statements, baseline_tables, baseline_indexes TO audit_admin;
SELECT pg_catalog.pg_extension_config_dump('baselines', '');
SELECT pg_catalog.pg_extension_config_dump('baseline_statements', '');
SELECT pg_catalog.pg_extension_config_dump('baseline_tables', '');
SELECT pg_catalog.pg_extension_config_dump('baseline_indexes', '');

-- Where pg_stat_statements lives and when it was last reset; has_stats = false (with a NOTICE)
-- when it is not installed in this database or not preloaded.
CREATE FUNCTION _statements_source(OUT has_stats boolean, OUT stats_reset timestamptz, OUT schema_name name)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    SELECT n.nspname INTO schema_name
      FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = 'pg_stat_statements';
    IF NOT FOUND THEN
        RAISE NOTICE 'pg_stat_statements is not installed in this database: tables and indexes only'
            USING DETAIL = 'Query timings come from pg_stat_statements.',
                  HINT = 'CREATE EXTENSION pg_stat_statements; (it must also be in shared_preload_libraries).';
        has_stats := false; RETURN;
    END IF;
    BEGIN
        EXECUTE format('SELECT stats_reset FROM %I.pg_stat_statements_info', schema_name) INTO stats_reset;
        EXECUTE format('SELECT 1 FROM %I.pg_stat_statements LIMIT 1', schema_name);
        has_stats := true;
    EXCEPTION WHEN object_not_in_prerequisite_state THEN
        RAISE NOTICE 'pg_stat_statements is installed but not loaded: tables and indexes only'
            USING DETAIL = SQLERRM,
                  HINT = 'Add pg_stat_statements to shared_preload_libraries and restart.';
        has_stats := false;
    END;
END
$$;

-- This database's pg_stat_statements now, per queryid and user (src: its schema).
CREATE FUNCTION _statements_now(src name)
RETURNS TABLE (queryid bigint, userid oid, query text, calls bigint, total_exec_time double precision,
               rows bigint, shared_blks_hit bigint, shared_blks_read bigint)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    RETURN QUERY EXECUTE format($q$
        SELECT queryid, userid, min(query), sum(calls)::bigint, sum(total_exec_time), sum(rows)::bigint,
               sum(shared_blks_hit)::bigint, sum(shared_blks_read)::bigint
          FROM %I.pg_stat_statements
         WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
           AND queryid IS NOT NULL
         GROUP BY queryid, userid$q$, src);
END
$$;


-- user tables now, without waiting for a lock: rows are the planner's estimate, as the lint
-- counts them (_sizes()), 0 where never measured; bytes are the pages of the table, its TOAST
-- and its indexes as of their last VACUUM or ANALYZE. exact => true counts rows and sizes for
-- real (a lock and a scan per table).
CREATE FUNCTION _tables_estimated()
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

-- The exact row count of one table (a scan under ACCESS SHARE).
CREATE FUNCTION _exact_count(rel oid) RETURNS bigint
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n bigint;
BEGIN
    EXECUTE format('SELECT count(*) FROM %s', rel::regclass) INTO n;
    RETURN n;
END
$$;

-- No temporary tables here or in the comparison: they must work in read-only transactions
-- and on a hot standby.
CREATE FUNCTION _tables_now(exact boolean DEFAULT false)
RETURNS TABLE (relid oid, table_name text, estimated_rows bigint, exact_rows bigint, total_bytes bigint,
               seq_scan bigint, idx_scan bigint)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT t.relid, t.table_name, t.estimated_rows,
           CASE WHEN exact THEN @extschema@._exact_count(t.relid) END,
           CASE WHEN exact THEN pg_total_relation_size(t.relid) ELSE t.total_bytes END,
           t.seq_scan, t.idx_scan
      FROM @extschema@._tables_estimated() t
$$;

CREATE FUNCTION _indexes_now()
RETURNS TABLE (index_name text, table_name text, bytes bigint, idx_scan bigint)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT format('%I.%I', n.nspname, ic.relname), format('%I.%I', n.nspname, t.relname),
           ic.relpages::bigint * current_setting('block_size')::bigint, pg_stat_get_numscans(i.indexrelid)
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_class t ON t.oid = i.indrelid
      JOIN pg_namespace n ON n.oid = ic.relnamespace
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', '@extschema@') AND n.nspname NOT LIKE 'pg_toast%'
$$;

CREATE FUNCTION _capture_baseline(p_label text, p_exact boolean, p_replace boolean)
RETURNS TABLE (captured text, statements bigint, tables bigint, indexes bigint)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    lbl text := p_label;
    exact boolean := p_exact;
    replace boolean := p_replace;
    st record;
BEGIN
    IF lbl IS NULL OR btrim(lbl) = '' THEN
        RAISE EXCEPTION 'a baseline needs a label'
            USING ERRCODE = 'invalid_parameter_value', DETAIL = 'The label names the snapshot for compare_baseline().',
                  HINT = 'For example SELECT audit.capture_baseline(''before-0042'');';
    END IF;
    IF NOT has_table_privilege('@extschema@.baselines', 'INSERT') THEN
        RAISE EXCEPTION 'permission denied to capture a baseline'
            USING ERRCODE = 'insufficient_privilege',
                  DETAIL = format('Role %I may not write audit''s baseline tables.', current_user),
                  HINT = 'A superuser can GRANT audit_admin TO the role.';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.baselines b WHERE b.label = lbl) THEN
        IF NOT replace THEN
            RAISE EXCEPTION 'baseline "%" already exists', lbl
                USING ERRCODE = 'duplicate_object',
                      DETAIL = format('It was captured at %s.', (SELECT b.captured_at FROM @extschema@.baselines b WHERE b.label = lbl)),
                      HINT = 'Use another label, pass replace => true, or SELECT audit.drop_baseline(label) first.';
        END IF;
        PERFORM @extschema@._delete_baseline(lbl);
    END IF;
    st := @extschema@._statements_source();
    INSERT INTO @extschema@.baselines (label, has_statements, statements_reset, exact_rows)
    VALUES (lbl, st.has_stats, st.stats_reset, exact);
    IF st.has_stats THEN
        INSERT INTO @extschema@.baseline_statements
        SELECT lbl, x.* FROM @extschema@._statements_now(st.schema_name) x;
    END IF;
    IF exact THEN
        INSERT INTO @extschema@.baseline_tables
        SELECT lbl, t.relid, t.table_name, t.estimated_rows, t.exact_rows, t.total_bytes, t.seq_scan, t.idx_scan
          FROM @extschema@._tables_now(true) t;
    ELSE
        INSERT INTO @extschema@.baseline_tables
        SELECT lbl, t.relid, t.table_name, t.estimated_rows, t.exact_rows, t.total_bytes, t.seq_scan, t.idx_scan
          FROM @extschema@._tables_estimated() t;
    END IF;
    INSERT INTO @extschema@.baseline_indexes
    SELECT lbl, i.index_name, i.table_name, i.bytes, i.idx_scan FROM @extschema@._indexes_now() i;
    RETURN QUERY SELECT lbl,
        (SELECT count(*) FROM @extschema@.baseline_statements s WHERE s.label = lbl),
        (SELECT count(*) FROM @extschema@.baseline_tables t WHERE t.label = lbl),
        (SELECT count(*) FROM @extschema@.baseline_indexes i WHERE i.label = lbl);
END
$$;

CREATE FUNCTION capture_baseline(label text, exact boolean DEFAULT false, replace boolean DEFAULT false)
RETURNS TABLE (label text, statements bigint, tables bigint, indexes bigint)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM @extschema@._capture_baseline($1, $2, $3)
$$;

CREATE FUNCTION _delete_baseline(lbl text) RETURNS boolean
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    DELETE FROM @extschema@.baseline_statements s WHERE s.label = lbl;
    DELETE FROM @extschema@.baseline_tables t WHERE t.label = lbl;
    DELETE FROM @extschema@.baseline_indexes i WHERE i.label = lbl;
    DELETE FROM @extschema@.baselines b WHERE b.label = lbl;
    RETURN FOUND;
END
$$;

CREATE FUNCTION drop_baseline(label text) RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF NOT @extschema@._delete_baseline(drop_baseline.label) THEN
        RAISE EXCEPTION 'baseline "%" does not exist', drop_baseline.label
            USING ERRCODE = 'undefined_object', DETAIL = 'audit.drop_baseline() found nothing to drop.',
                  HINT = 'SELECT label, captured_at FROM audit.baselines; lists them.';
    END IF;
END
$$;

CREATE FUNCTION _require_baseline(lbl text) RETURNS @extschema@.baselines
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b @extschema@.baselines;
BEGIN
    SELECT * INTO b FROM @extschema@.baselines x WHERE x.label = lbl;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'baseline "%" does not exist', lbl
            USING ERRCODE = 'undefined_object', DETAIL = 'Capture it first with audit.capture_baseline().',
                  HINT = 'SELECT label, captured_at FROM audit.baselines; lists the baselines.';
    END IF;
    RETURN b;
END
$$;

CREATE FUNCTION _compare_baseline(p_before text, p_after text, threshold_pct double precision,
                                  min_calls bigint, allow_row_loss text[])
RETURNS TABLE (kind text, object text, before numeric, after numeric, change_pct numeric, status text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    b @extschema@.baselines := @extschema@._require_baseline(p_before);
    a @extschema@.baselines;
    threshold double precision := coalesce(threshold_pct, coalesce(current_setting('audit.regression_threshold', true)::float8, 20));
    mincalls bigint := coalesce(min_calls, coalesce(current_setting('audit.min_calls', true)::bigint, 5));
    min_ms double precision := coalesce(current_setting('audit.regression_min_ms', true)::float8, 0.1);
    st record;
    reset boolean := false;
    s_now @extschema@.baseline_statements[];
    t_now @extschema@.baseline_tables[];
    i_now @extschema@.baseline_indexes[];
BEGIN
    -- the "after" side, held in variables (no temporary table: read-only and standby safe)
    IF p_after IS NULL THEN
        st := @extschema@._statements_source();
        IF st.has_stats THEN
            SELECT array_agg(ROW(NULL, x.*)::@extschema@.baseline_statements) INTO s_now
              FROM @extschema@._statements_now(st.schema_name) x;
        END IF;
        SELECT array_agg(ROW(NULL, x.relid, x.table_name, x.estimated_rows, x.exact_rows, x.total_bytes,
                             x.seq_scan, x.idx_scan)::@extschema@.baseline_tables) INTO t_now
          FROM @extschema@._tables_now(b.exact_rows) x;
        SELECT array_agg(ROW(NULL, x.*)::@extschema@.baseline_indexes) INTO i_now
          FROM @extschema@._indexes_now() x;
        reset := st.has_stats AND b.has_statements AND st.stats_reset IS DISTINCT FROM b.statements_reset;
    ELSE
        a := @extschema@._require_baseline(p_after);
        SELECT array_agg(x) INTO s_now FROM @extschema@.baseline_statements x WHERE x.label = a.label;
        SELECT array_agg(x) INTO t_now FROM @extschema@.baseline_tables x WHERE x.label = a.label;
        SELECT array_agg(x) INTO i_now FROM @extschema@.baseline_indexes x WHERE x.label = a.label;
        reset := a.has_statements AND b.has_statements AND a.statements_reset IS DISTINCT FROM b.statements_reset;
    END IF;
    -- a counter lower than at the capture also means a reset
    reset := reset OR EXISTS (SELECT 1 FROM @extschema@.baseline_statements s
                                JOIN unnest(s_now) n ON n.queryid = s.queryid AND n.userid = s.userid
                               WHERE s.label = b.label AND n.calls < s.calls);
    IF reset THEN
        kind := 'statements'; object := 'pg_stat_statements'; before := NULL; after := NULL; change_pct := NULL;
        status := 'reset';
        RETURN NEXT;
        RAISE NOTICE 'pg_stat_statements was reset since baseline "%"', b.label
            USING DETAIL = 'The after window is everything counted since the reset.',
                  HINT = 'Avoid pg_stat_statements_reset() between capture and compare for exact windows.';
    END IF;

    -- queries: mean time per call, before window vs after window
    RETURN QUERY
    WITH bw AS (
        SELECT s.queryid, s.userid, s.query, s.calls, s.total_exec_time
          FROM @extschema@.baseline_statements s WHERE s.label = b.label
    ), aw AS (
        SELECT n.queryid, n.userid, n.query,
               CASE WHEN reset OR o.calls IS NULL THEN n.calls ELSE n.calls - o.calls END AS calls,
               CASE WHEN reset OR o.calls IS NULL THEN n.total_exec_time ELSE n.total_exec_time - o.total_exec_time END AS total
          FROM unnest(s_now) n
          LEFT JOIN bw o ON o.queryid = n.queryid AND o.userid = n.userid
    ), j AS (
        SELECT coalesce(bw.queryid, aw.queryid) AS queryid, coalesce(aw.query, bw.query) AS query,
               bw.calls AS calls_b, bw.total_exec_time / nullif(bw.calls, 0) AS mean_b,
               aw.calls AS calls_a, aw.total / nullif(aw.calls, 0) AS mean_a
          FROM bw FULL JOIN aw ON aw.queryid = bw.queryid AND aw.userid = bw.userid
    )
    SELECT 'query', format('%s: %s', j.queryid, left(regexp_replace(j.query, '\s+', ' ', 'g'), 120)),
           round(j.mean_b::numeric, 3), round(j.mean_a::numeric, 3),
           round(((j.mean_a - j.mean_b) / nullif(j.mean_b, 0) * 100)::numeric, 1),
           CASE WHEN j.calls_b IS NULL OR j.calls_b = 0 THEN 'new'
                WHEN coalesce(j.calls_a, 0) = 0 THEN 'gone'
                WHEN (j.mean_a - j.mean_b) / nullif(j.mean_b, 0) * 100 > threshold
                     AND j.mean_a - j.mean_b >= min_ms THEN 'regression'
                WHEN (j.mean_b - j.mean_a) / nullif(j.mean_b, 0) * 100 > threshold THEN 'improved'
                ELSE 'ok' END
      FROM j
     WHERE (coalesce(j.calls_b, 0) >= mincalls OR coalesce(j.calls_a, 0) >= mincalls)
       AND (j.calls_b IS NULL OR j.calls_b = 0 OR coalesce(j.calls_a, 0) = 0
            OR (j.calls_b >= mincalls AND j.calls_a >= mincalls))
     ORDER BY 5 DESC NULLS LAST, 2;

    -- tables: rows (a decrease is data loss unless allowed) and size
    RETURN QUERY
    WITH bt AS (SELECT * FROM @extschema@.baseline_tables t WHERE t.label = b.label),
         j AS (
        SELECT coalesce(bt.table_name, n.table_name) AS name,
               coalesce(bt.exact_rows, bt.estimated_rows) AS rows_b,
               coalesce(n.exact_rows, n.estimated_rows) AS rows_a,
               bt.total_bytes AS bytes_b, n.total_bytes AS bytes_a,
               bt.table_name IS NULL AS is_new, n.table_name IS NULL AS is_gone
          FROM bt FULL JOIN unnest(t_now) n ON n.table_name = bt.table_name
    )
    SELECT 'table_rows', j.name, j.rows_b::numeric, j.rows_a::numeric,
           round(((j.rows_a - j.rows_b)::numeric / nullif(j.rows_b, 0) * 100), 1),
           CASE WHEN j.is_new THEN 'new' WHEN j.is_gone THEN 'gone'
                WHEN j.rows_a < j.rows_b AND NOT (j.name = ANY (allow_row_loss)) THEN 'regression'
                ELSE 'ok' END
      FROM j
     WHERE j.is_new OR j.is_gone OR j.rows_a IS DISTINCT FROM j.rows_b
    UNION ALL
    SELECT 'table_size', j.name, j.bytes_b::numeric, j.bytes_a::numeric,
           round(((j.bytes_a - j.bytes_b)::numeric / nullif(j.bytes_b, 0) * 100), 1),
           'regression'
      FROM j
     WHERE NOT j.is_new AND NOT j.is_gone AND j.bytes_a - j.bytes_b > 1048576
       AND (j.bytes_a - j.bytes_b)::numeric / nullif(j.bytes_b, 0) * 100 > threshold
    ORDER BY 1, 2;

    -- indexes: gone, new, or grown
    RETURN QUERY
    WITH bi AS (SELECT * FROM @extschema@.baseline_indexes i WHERE i.label = b.label)
    SELECT 'index', coalesce(bi.index_name, n.index_name), bi.bytes::numeric, n.bytes::numeric,
           round(((n.bytes - bi.bytes)::numeric / nullif(bi.bytes, 0) * 100), 1),
           CASE WHEN bi.index_name IS NULL THEN 'new'
                WHEN n.index_name IS NULL THEN 'gone'
                ELSE 'regression' END
      FROM bi FULL JOIN unnest(i_now) n ON n.index_name = bi.index_name
     WHERE bi.index_name IS NULL OR n.index_name IS NULL
        OR (n.bytes - bi.bytes > 1048576 AND (n.bytes - bi.bytes)::numeric / nullif(bi.bytes, 0) * 100 > threshold)
     ORDER BY 2;
END
$$;

-- When a baseline was captured: verify_migrations(since => audit.baseline_time('before'))
-- narrows the audits to what changed since it.
CREATE FUNCTION baseline_time(label text) RETURNS timestamptz
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT (@extschema@._require_baseline($1)).captured_at
$$;

CREATE FUNCTION compare_baseline(before text, after text DEFAULT NULL,
                                 threshold_pct double precision DEFAULT NULL,
                                 min_calls bigint DEFAULT NULL,
                                 allow_row_loss text[] DEFAULT '{}')
RETURNS TABLE (kind text, object text, before numeric, after numeric, change_pct numeric, status text)
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT * FROM @extschema@._compare_baseline($1, $2, $3, $4, $5)
$$;

-- The runbook's decision: proceed, or defer with the blockers.
CREATE FUNCTION go_no_go(before text, after text DEFAULT NULL, threshold_pct double precision DEFAULT NULL,
                         min_calls bigint DEFAULT NULL, allow_row_loss text[] DEFAULT '{}')
RETURNS TABLE (verdict text, blocker text, object text, detail text)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    n integer := 0;
    r record;
BEGIN
    FOR r IN
        SELECT x.* FROM (
            SELECT v.check_name AS blocker, v.object, v.detail
              FROM @extschema@.verify_migrations() v WHERE v.status = 'fail'
            UNION ALL
            SELECT CASE c.kind WHEN 'query' THEN 'query regression' WHEN 'table_rows' THEN 'row count loss'
                               ELSE c.kind || ' regression' END,
                   c.object,
                   format('%s -> %s (%s%%)', c.before, c.after, coalesce(c.change_pct::text, 'n/a'))
              FROM @extschema@.compare_baseline(before, after, threshold_pct, min_calls, allow_row_loss) c
             WHERE c.status = 'regression' AND c.kind IN ('query', 'table_rows')
        ) x ORDER BY 1, 2
    LOOP
        n := n + 1;
        verdict := 'defer'; blocker := r.blocker; object := r.object; detail := r.detail;
        RETURN NEXT;
    END LOOP;
    IF n = 0 THEN
        verdict := 'proceed'; blocker := NULL; object := NULL;
        detail := format('no failed verification, no query slower than %s%%, no row loss since baseline "%s"',
                         coalesce(threshold_pct, coalesce(current_setting('audit.regression_threshold', true)::float8, 20)), before);
        RETURN NEXT;
    END IF;
END
$$;

CREATE FUNCTION go_no_go_json(before text, after text DEFAULT NULL, threshold_pct double precision DEFAULT NULL,
                              min_calls bigint DEFAULT NULL, allow_row_loss text[] DEFAULT '{}')
RETURNS jsonb
LANGUAGE sql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
    SELECT jsonb_build_object(
        'verdict', max(g.verdict),
        'blockers', coalesce(jsonb_agg(jsonb_build_object('blocker', g.blocker, 'object', g.object, 'detail', g.detail))
                             FILTER (WHERE g.blocker IS NOT NULL), '[]'::jsonb))
      FROM @extschema@.go_no_go($1, $2, $3, $4, $5) g
$$;

CREATE FUNCTION assert_go(before text, after text DEFAULT NULL, threshold_pct double precision DEFAULT NULL,
                          min_calls bigint DEFAULT NULL, allow_row_loss text[] DEFAULT '{}')
RETURNS void
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    blockers text;
    n integer;
BEGIN
    SELECT count(*), string_agg(format('%s: %s (%s)', g.blocker, g.object, g.detail), '; ')
      INTO n, blockers
      FROM @extschema@.go_no_go(before, after, threshold_pct, min_calls, allow_row_loss) g
     WHERE g.verdict = 'defer';
    IF n > 0 THEN
        RAISE EXCEPTION 'rollout verdict is defer: % blocker(s)', n
            USING ERRCODE = 'assert_failure', DETAIL = blockers,
                  HINT = format('SELECT * FROM audit.go_no_go(%L) lists them; fix them or roll back.', before);
    END IF;
END
$$;
