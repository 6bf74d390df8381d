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
