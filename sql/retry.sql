-- Run DDL with a short lock_timeout and retry lock waits with exponential backoff and jitter,
-- the pattern of pgroll, strong_migrations, Reshape and safe-pg-migrations, in SQL.

-- run_with_retry() is installed as it is by the extension and by the portable guard
-- (audit install-guard); each brings its own _retry_check() and _lock_holders() (sql/retry_checks.sql
-- with the extension's parser, sql/guard.sql without it).

-- It runs with the caller's search_path (no SET clause): the statement's unqualified names
-- must resolve as they would where the caller runs it. It is not SECURITY DEFINER, and
-- pg_catalog is searched first unless the caller places it otherwise.

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

CREATE FUNCTION run_with_retry(sql text, lock_timeout interval DEFAULT '1s',
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
