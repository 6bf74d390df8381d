-- 0006: indexes for the foreign key of 0002 and for the "recipes by author, newest first"
-- page, built CONCURRENTLY; and recipe_ingredients_recipe_idx dropped, which the unique key
-- of 0001 (recipe_id, ingredient_id) makes redundant. Runs outside a transaction block. A build that fails leaves an
-- INVALID index: the assertion stops here and says to drop it (DROP INDEX CONCURRENTLY) and
-- run the migration again.
SET lock_timeout = '2s';
SELECT audit.assert_timeouts();
SELECT audit.assert_not_in_transaction();

CREATE INDEX CONCURRENTLY IF NOT EXISTS recipe_ingredients_ingredient_idx
    ON recipe_ingredients (ingredient_id);
SELECT audit.assert_index_valid('recipe_ingredients_ingredient_idx');
CREATE INDEX CONCURRENTLY IF NOT EXISTS recipes_author_created_idx
    ON recipes (author_id, created_at DESC);
SELECT audit.assert_index_valid('recipes_author_created_idx');

-- the unique index of 0001 leads with recipe_id and serves the same queries
DROP INDEX CONCURRENTLY IF EXISTS recipe_ingredients_recipe_idx;
