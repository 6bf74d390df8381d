-- First draft of 0002: foreign keys validated as they are added, each scanning its table
-- while writes to both tables wait.
ALTER TABLE recipes ADD CONSTRAINT recipes_author_fk FOREIGN KEY (author_id) REFERENCES users (id);
ALTER TABLE recipe_ingredients ADD CONSTRAINT recipe_ingredients_recipe_fk
    FOREIGN KEY (recipe_id) REFERENCES recipes (id);
ALTER TABLE recipe_ingredients ADD CONSTRAINT recipe_ingredients_ingredient_fk
    FOREIGN KEY (ingredient_id) REFERENCES ingredients (id);
