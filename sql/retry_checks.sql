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
DECLARE
    n integer;
BEGIN
    n := @extschema@.parse_count(sql);
    IF n <> 1 THEN
        RAISE EXCEPTION 'run_with_retry() runs exactly one statement, not %', n
            USING ERRCODE = 'invalid_parameter_value',
                  DETAIL = 'Each statement is retried on its own, with its own lock wait.',
                  HINT = 'Call it once per statement.';
    END IF;
    IF EXISTS (SELECT 1 FROM @extschema@.statement_model(sql) m WHERE m.model LIKE 'Transaction(%') THEN
        RAISE EXCEPTION 'run_with_retry() cannot run transaction control'
            USING ERRCODE = 'invalid_transaction_termination',
                  DETAIL = 'Each attempt runs in a subtransaction of the caller''s transaction.',
                  HINT = 'Pass the DDL statement itself.';
    END IF;
END
$$;
