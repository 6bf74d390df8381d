-- Rollback of 0006: drop its indexes and rebuild the one it dropped, without blocking writes.
-- Outside a transaction block.
SET lock_timeout = '2s';
DROP INDEX CONCURRENTLY IF EXISTS recipe_ingredients_ingredient_idx;
DROP INDEX CONCURRENTLY IF EXISTS recipes_author_created_idx;
CREATE INDEX CONCURRENTLY IF NOT EXISTS recipe_ingredients_recipe_idx ON recipe_ingredients (recipe_id);
