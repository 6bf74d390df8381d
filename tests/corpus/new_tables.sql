-- everything here touches only tables the script creates: no lock rule fires
CREATE TABLE ingredient (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipe_id bigint NOT NULL REFERENCES recipe (id),
    name varchar(100) NOT NULL,
    amount numeric(10,2)
);
CREATE INDEX ingredient_recipe_id_idx ON ingredient (recipe_id);
ALTER TABLE ingredient ALTER COLUMN id TYPE bigint;
ALTER TABLE ingredient ADD CONSTRAINT amount_positive CHECK (amount > 0);
ALTER TABLE ingredient ALTER COLUMN amount SET NOT NULL;
ALTER TABLE ingredient ADD COLUMN note text DEFAULT clock_timestamp()::text;
ALTER TABLE ingredient ADD CONSTRAINT ingredient_name_key UNIQUE (name);
ALTER TABLE ingredient RENAME COLUMN note TO remark;
ALTER TABLE ingredient DROP COLUMN remark;
CREATE TABLE unit AS SELECT 1 AS id;
CREATE INDEX ON unit (id);
UPDATE unit SET id = 2;
