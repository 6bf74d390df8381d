-- Rollback of 0003: PostgreSQL cannot mark a constraint unvalidated again; the keys are
-- dropped and added back NOT VALID, as 0002 left them (brief locks, no scan).
SET lock_timeout = '2s';
DO $$
DECLARE
    k record;
BEGIN
    FOR k IN SELECT conrelid::regclass AS tbl, conname, pg_get_constraintdef(oid) AS def
               FROM pg_constraint
              WHERE conname IN ('recipes_author_fk', 'recipe_ingredients_recipe_fk',
                                'recipe_ingredients_ingredient_fk') AND convalidated
    LOOP
        EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I, ADD CONSTRAINT %I %s NOT VALID',
                       k.tbl, k.conname, k.conname, k.def);
    END LOOP;
END
$$;
