-- The recipe application's queries, as pgbench runs them during the rehearsal
-- (pgbench -f migrations/workload.sql -D recipes=N -D users=N): a recipe page, a category
-- page, a rating, an edit.
\set r random(1, :recipes)
\set u random(1, :users)
\set c random(1, 24)
SELECT r.id, r.title, r.category, r.servings, u.display_name
  FROM recipes r JOIN users u ON u.id = r.author_id WHERE r.id = :r;
SELECT i.name, ri.quantity, ri.unit
  FROM recipe_ingredients ri JOIN ingredients i ON i.id = ri.ingredient_id WHERE ri.recipe_id = :r;
SELECT round(avg(score), 2), count(*) FROM ratings WHERE recipe_id = :r;
SELECT id, title FROM recipes
 WHERE category = (SELECT name FROM categories WHERE id = :c) ORDER BY created_at DESC LIMIT 20;
INSERT INTO ratings (recipe_id, user_id, score) VALUES (:r, :u, 1 + :r % 5);
UPDATE recipes SET servings = 1 + :u % 8 WHERE id = :r;
