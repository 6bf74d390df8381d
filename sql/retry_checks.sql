-- What run_with_retry() needs of the extension's parser (sql/retry.sql says why apart).

-- Sessions holding a lock on the relations the statement needs: who blocked an attempt.
CREATE FUNCTION _lock_holders(sql text) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT @extschema@._lock_holders_of(ARRAY(SELECT @extschema@._statement_relations(sql)))
$$;

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
