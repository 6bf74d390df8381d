-- Rollback of 0001: drop the unique keys (and their indexes).
SET lock_timeout = '2s';
ALTER TABLE recipe_ingredients DROP CONSTRAINT IF EXISTS recipe_ingredients_recipe_ingredient_key;
ALTER TABLE recipes DROP CONSTRAINT IF EXISTS recipes_author_title_key;
-- an index 0001 built but did not attach
DROP INDEX CONCURRENTLY IF EXISTS recipe_ingredients_recipe_ingredient_key;
DROP INDEX CONCURRENTLY IF EXISTS recipes_author_title_key;
