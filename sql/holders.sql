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
