-- First draft of 0004: CHECK constraints validated as they are added, under ACCESS EXCLUSIVE.
ALTER TABLE ratings ADD CONSTRAINT ratings_score_check CHECK (score BETWEEN 1 AND 5);
ALTER TABLE recipes ADD CONSTRAINT recipes_servings_check CHECK (servings > 0);
ALTER TABLE recipe_ingredients ADD CONSTRAINT recipe_ingredients_quantity_check CHECK (quantity > 0);
