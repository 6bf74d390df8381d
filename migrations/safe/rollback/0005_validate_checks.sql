-- Rollback of 0005: the CHECK constraints dropped and added back NOT VALID, as 0004 left them.
SET lock_timeout = '2s';
DO $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT conrelid::regclass AS tbl, conname, pg_get_constraintdef(oid) AS def
               FROM pg_constraint
              WHERE conname IN ('ratings_score_check', 'recipes_servings_check',
                                'recipe_ingredients_quantity_check') AND convalidated
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD CONSTRAINT %I %s NOT VALID',
                       k.tbl, k.conname, k.conname, k.def);
    END LOOP;
END
$$;
