-- Rollback of 0006: drop the indexes without blocking writes. Outside a transaction block.
SET lock_timeout = '2s';
DROP INDEX CONCURRENTLY IF EXISTS recipe_ingredients_ingredient_idx;
DROP INDEX CONCURRENTLY IF EXISTS recipes_author_created_idx;
