-- Generated data for the recipe application: psql -v scale=1 (the default) gives 50,000 users,
-- 300,000 recipes, 1,200,000 recipe ingredients and 600,000 ratings; scale=0.2 a fifth of it.
-- Deterministic, and every row satisfies the constraints the batch adds.
\if :{?scale}
\else
\set scale 1
\endif
INSERT INTO categories (name, slug)
SELECT initcap(n), n
  FROM unnest(ARRAY['soups', 'salads', 'breakfast', 'bread', 'pasta', 'rice', 'curry',
                    'stews', 'grill', 'seafood', 'vegetarian', 'vegan', 'desserts', 'cakes',
                    'cookies', 'drinks', 'sauces', 'snacks', 'sandwiches', 'pies', 'noodles',
                    'dumplings', 'tacos', 'pizza']) n;
INSERT INTO ingredients (name) SELECT 'ingredient ' || g FROM generate_series(1, 2000) g;
INSERT INTO users (email, display_name, created_at)
SELECT 'user' || g || '@example.com', 'User ' || g, now() - g * interval '1 minute'
  FROM generate_series(1, (50000 * :scale)::bigint) g;
INSERT INTO recipes (author_id, title, category, servings, prep_minutes, created_at)
SELECT 1 + (g * 7919) % (50000 * :scale)::bigint, 'Recipe ' || g,
       initcap((ARRAY['soups', 'salads', 'breakfast', 'bread', 'pasta', 'rice', 'curry',
                      'stews', 'grill', 'seafood', 'vegetarian', 'vegan', 'desserts', 'cakes',
                      'cookies', 'drinks', 'sauces', 'snacks', 'sandwiches', 'pies', 'noodles',
                      'dumplings', 'tacos', 'pizza'])[1 + g % 24]),
       1 + g % 8, 5 + g % 120, now() - g * interval '10 seconds'
  FROM generate_series(1, (300000 * :scale)::bigint) g;
-- four distinct ingredients per recipe
INSERT INTO recipe_ingredients (recipe_id, ingredient_id, quantity, unit)
SELECT r, 1 + (r * 13 + k * 499) % 2000, 1 + (r + k) % 500, (ARRAY['g', 'ml', 'piece', 'tbsp'])[1 + k]
  FROM generate_series(1, (300000 * :scale)::bigint) r, generate_series(0, 3) k;
INSERT INTO ratings (recipe_id, user_id, score, created_at)
SELECT 1 + (g * 104729) % (300000 * :scale)::bigint, 1 + (g * 31) % (50000 * :scale)::bigint,
       1 + g % 5, now() - g * interval '3 seconds'
  FROM generate_series(1, (600000 * :scale)::bigint) g;
