-- 0003: validate the foreign keys of 0002. VALIDATE CONSTRAINT reads the table under SHARE
-- UPDATE EXCLUSIVE, which lets reads and writes go on. The assertions stop the migration, with
-- the offending rows, before a validation that would fail.
SET lock_timeout = '2s';
SELECT audit.assert_timeouts();

SELECT audit.assert_constraint_satisfied('recipes', 'recipes_author_fk');
ALTER TABLE recipes VALIDATE CONSTRAINT recipes_author_fk;
SELECT audit.assert_constraint_satisfied('recipe_ingredients', 'recipe_ingredients_recipe_fk');
ALTER TABLE recipe_ingredients VALIDATE CONSTRAINT recipe_ingredients_recipe_fk;
SELECT audit.assert_constraint_satisfied('recipe_ingredients', 'recipe_ingredients_ingredient_fk');
ALTER TABLE recipe_ingredients VALIDATE CONSTRAINT recipe_ingredients_ingredient_fk;
