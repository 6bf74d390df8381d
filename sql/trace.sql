-- audit.trace(): the rows and the jsonb of a rehearsal (the work is done by _trace(), in Rust).
-- Like run_with_retry(), these run with the caller's privileges and search_path: the script's
-- unqualified names resolve as they would where the caller runs it.

CREATE FUNCTION trace_json(sql text, lock_timeout interval DEFAULT '2s',
                           hold_threshold interval DEFAULT '1s',
                           autocommit boolean DEFAULT false, rule_levels text DEFAULT NULL)
RETURNS jsonb
LANGUAGE sql VOLATILE AS $$
    SELECT @extschema@._trace(sql,
        pg_catalog.date_part('epoch', lock_timeout) * 1000,
        pg_catalog.date_part('epoch', hold_threshold) * 1000,
        autocommit, rule_levels)
$$;
COMMENT ON FUNCTION trace_json(text, interval, interval, boolean, text) IS
    'audit: rehearse a migration script (always rolled back) and report its locks, hold times, rewrites, scans and verdicts as jsonb';

CREATE FUNCTION trace(sql text, lock_timeout interval DEFAULT '2s',
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
COMMENT ON FUNCTION trace(text, interval, interval, boolean, text) IS
    'audit: rehearse a migration script (always rolled back): one row per statement with the locks it took, how long write-blocking locks were held, rewrites, scans, rows, duration and verdicts';

CREATE FUNCTION trace_locks(sql text, lock_timeout interval DEFAULT '2s',
                            autocommit boolean DEFAULT false)
RETURNS TABLE (statement integer, xact integer, relation text, mode text,
               blocks_writes boolean, existing boolean, held interval, released_after integer)
LANGUAGE sql VOLATILE AS $$
    SELECT (s->>'statement')::integer, (s->>'xact')::integer, l->>'relation', l->>'mode',
           (l->>'blocks_writes')::boolean, (l->>'existing')::boolean,
           pg_catalog.make_interval(secs => (l->>'held_ms')::float8 / 1000),
           (l->>'released_after')::integer
      FROM pg_catalog.jsonb_array_elements(
               @extschema@.trace_json(sql, lock_timeout, '1s', autocommit)->'statements')
           WITH ORDINALITY AS t(s, n),
           pg_catalog.jsonb_array_elements(s->'locks') WITH ORDINALITY AS k(l, m)
     ORDER BY n, m
$$;
COMMENT ON FUNCTION trace_locks(text, interval, boolean) IS
    'audit: rehearse a migration script (always rolled back): one row per table lock a statement took, with how long it was held';

CREATE FUNCTION trace_findings(sql text, lock_timeout interval DEFAULT '2s',
                               hold_threshold interval DEFAULT '1s',
                               autocommit boolean DEFAULT false, rule_levels text DEFAULT NULL)
RETURNS TABLE (statement integer, line integer, rule text, severity text, message text,
               lock text, hint text, ignored text, relation text, measured boolean)
LANGUAGE sql VOLATILE AS $$
    SELECT (f->>'statement')::integer, (f->>'line')::integer, f->>'rule', f->>'severity',
           f->>'message', f->>'lock', f->>'hint', f->>'ignored', f->>'table',
           (f->>'measured')::boolean
      FROM pg_catalog.jsonb_array_elements(
               @extschema@.trace_json(sql, lock_timeout, hold_threshold, autocommit, rule_levels)->'findings')
           WITH ORDINALITY AS t(f, n)
     ORDER BY n
$$;
COMMENT ON FUNCTION trace_findings(text, interval, interval, boolean, text) IS
    'audit: rehearse a migration script (always rolled back): the findings of audit.lint() and of the measured rules, in audit.lint() form';
