-- 0009: the category fix, step 3 of 3: drop the old free-text column, its index and the
-- sync trigger. DISABLED BY DEFAULT: it breaks every application server that still reads
-- recipes.category, so it does nothing unless the session sets recipe.cleanup = on
-- (PGOPTIONS='-c recipe.cleanup=on', or SET recipe.cleanup = on first), once every server reads
-- category_id. Its rollback brings the column and its data back.
SET lock_timeout = '2s';
SELECT audit.assert_timeouts();

DO $$
BEGIN
    IF current_setting('recipe.cleanup', true) IS DISTINCT FROM 'on' THEN
        RAISE NOTICE 'cleanup skipped: recipe.cleanup is not on';
        RETURN;
    END IF;
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'recipes'::regclass
                AND attname = 'category' AND NOT attisdropped) THEN
        DROP TRIGGER IF EXISTS recipes_category_sync ON recipes;
        DROP FUNCTION IF EXISTS recipes_category_sync();
        ALTER TABLE recipes DROP COLUMN category;
    END IF;
END
$$;
