-- The team's first draft of 0001: the unique constraints added directly. Each builds its
-- index while holding a lock that blocks every write to the table.
ALTER TABLE recipe_ingredients ADD CONSTRAINT recipe_ingredients_recipe_ingredient_key
    UNIQUE (recipe_id, ingredient_id);
ALTER TABLE recipes ADD CONSTRAINT recipes_author_title_key UNIQUE (author_id, title);
