-- First draft of 0006: plain CREATE INDEX, which blocks writes to the table while it builds.
CREATE INDEX recipe_ingredients_ingredient_idx ON recipe_ingredients (ingredient_id);
CREATE INDEX recipes_author_created_idx ON recipes (author_id, created_at DESC);
