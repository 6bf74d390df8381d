-- 0002: the missing foreign keys, added NOT VALID: a brief SHARE ROW EXCLUSIVE lock on both
-- tables and no scan. 0003 validates them. One statement per key, each committed on its own.
-- (recipes.author_id is indexed by recipes_author_title_key of 0001; recipe_ingredients
-- .ingredient_id gets its index in 0006.)
SET lock_timeout = '2s';
SELECT audit.assert_timeouts();

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipes_author_fk') THEN
        ALTER TABLE recipes ADD CONSTRAINT recipes_author_fk
            FOREIGN KEY (author_id) REFERENCES users (id) NOT VALID;
    END IF;
END
$$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipe_ingredients_recipe_fk') THEN
        ALTER TABLE recipe_ingredients ADD CONSTRAINT recipe_ingredients_recipe_fk
            FOREIGN KEY (recipe_id) REFERENCES recipes (id) NOT VALID;
    END IF;
END
$$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipe_ingredients_ingredient_fk') THEN
        ALTER TABLE recipe_ingredients ADD CONSTRAINT recipe_ingredients_ingredient_fk
            FOREIGN KEY (ingredient_id) REFERENCES ingredients (id) NOT VALID;
    END IF;
END
$$;
