-- 0001: composite unique keys on recipe_ingredients (recipe_id, ingredient_id) and recipes
-- (author_id, title). The unique index is built CONCURRENTLY (writes go on), then attached
-- as the constraint, which takes only a brief lock. Runs outside a transaction block.
SET lock_timeout = '2s';
SELECT audit.assert_timeouts();
SELECT audit.assert_not_in_transaction();

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS recipe_ingredients_recipe_ingredient_key
    ON recipe_ingredients (recipe_id, ingredient_id);
SELECT audit.assert_index_valid('recipe_ingredients_recipe_ingredient_key');
CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS recipes_author_title_key
    ON recipes (author_id, title);
SELECT audit.assert_index_valid('recipes_author_title_key');

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipe_ingredients_recipe_ingredient_key') THEN
        ALTER TABLE recipe_ingredients ADD CONSTRAINT recipe_ingredients_recipe_ingredient_key
            UNIQUE USING INDEX recipe_ingredients_recipe_ingredient_key;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipes_author_title_key') THEN
        ALTER TABLE recipes ADD CONSTRAINT recipes_author_title_key
            UNIQUE USING INDEX recipes_author_title_key;
    END IF;
END
$$;
