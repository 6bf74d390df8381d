-- 0005: validate the CHECK constraints of 0004 (SHARE UPDATE EXCLUSIVE: reads and writes go on).
SET lock_timeout = '2s';
SELECT audit.assert_timeouts();

SELECT audit.assert_constraint_satisfied('ratings', 'ratings_score_check');
ALTER TABLE ratings VALIDATE CONSTRAINT ratings_score_check;
SELECT audit.assert_constraint_satisfied('recipes', 'recipes_servings_check');
ALTER TABLE recipes VALIDATE CONSTRAINT recipes_servings_check;
SELECT audit.assert_constraint_satisfied('recipe_ingredients', 'recipe_ingredients_quantity_check');
ALTER TABLE recipe_ingredients VALIDATE CONSTRAINT recipe_ingredients_quantity_check;
