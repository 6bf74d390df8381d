-- Rollback of 0002: drop the foreign keys.
SET lock_timeout = '2s';
ALTER TABLE recipes DROP CONSTRAINT IF EXISTS recipes_author_fk;
ALTER TABLE recipe_ingredients DROP CONSTRAINT IF EXISTS recipe_ingredients_recipe_fk;
ALTER TABLE recipe_ingredients DROP CONSTRAINT IF EXISTS recipe_ingredients_ingredient_fk;
