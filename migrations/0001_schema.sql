-- 0001: the recipe app's first schema, in one transaction. Every table is new in it, so the
-- index on recipe blocks nobody (audit exempts tables created in the current transaction).
SET lock_timeout = '2s';
BEGIN;
CREATE TABLE category (
    id   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name text NOT NULL UNIQUE
);
CREATE TABLE recipe (
    id          integer PRIMARY KEY,
    title       varchar(100),
    servings    integer,
    category_id bigint,
    notes       text,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX recipe_title_idx ON recipe (title);
INSERT INTO category (name) VALUES ('soup'), ('salad'), ('dessert');
INSERT INTO recipe (id, title, servings, category_id)
SELECT g, 'recipe ' || g, 1 + g % 6, 1 + g % 3 FROM generate_series(1, 50000) g;
COMMIT;
ANALYZE recipe;
