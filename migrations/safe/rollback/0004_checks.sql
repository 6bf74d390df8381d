-- Rollback of 0004: drop the CHECK constraints.
SET lock_timeout = '2s';
ALTER TABLE ratings DROP CONSTRAINT IF EXISTS ratings_score_check;
ALTER TABLE recipes DROP CONSTRAINT IF EXISTS recipes_servings_check;
ALTER TABLE recipe_ingredients DROP CONSTRAINT IF EXISTS recipe_ingredients_quantity_check;
