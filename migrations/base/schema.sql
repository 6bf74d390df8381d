-- The recipe application as it runs in production before the batch: the tables, the indexes
-- the application's queries use, and the gaps the batch closes (no unique keys on the pairs,
-- no foreign keys from recipes and recipe_ingredients, no CHECK constraints, a free-text
-- category on recipes instead of a reference to categories). One transaction: the indexes on
-- the new tables block nobody (audit exempts tables created in the current transaction).
SET lock_timeout = '2s';
BEGIN;

CREATE TABLE users (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text NOT NULL,
    display_name text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE categories (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL,
    slug text NOT NULL
);

CREATE TABLE recipes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id    bigint NOT NULL,
    title        text NOT NULL,
    category     text NOT NULL,          -- the name of a category, as text
    servings     integer,
    prep_minutes integer,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recipes_category_idx ON recipes (category, created_at DESC);

CREATE TABLE ingredients (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL
);

CREATE TABLE recipe_ingredients (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipe_id     bigint NOT NULL,
    ingredient_id bigint NOT NULL,
    quantity      numeric NOT NULL,
    unit          text NOT NULL
);
CREATE INDEX recipe_ingredients_recipe_idx ON recipe_ingredients (recipe_id);

CREATE TABLE ratings (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipe_id  bigint NOT NULL REFERENCES recipes (id),
    user_id    bigint NOT NULL REFERENCES users (id),
    score      smallint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ratings_recipe_idx ON ratings (recipe_id);
CREATE INDEX ratings_user_idx ON ratings (user_id);
COMMIT;
