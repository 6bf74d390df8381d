-- 0002 (unsafe): what a hurried migration looks like. audit.lint() flags every statement here
-- and, with audit.enforcement = block, the database refuses the worst of them as they run.
CREATE INDEX recipe_servings_idx ON recipe (servings);
ALTER TABLE recipe ALTER COLUMN id TYPE bigint;
ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk
    FOREIGN KEY (category_id) REFERENCES category (id);
ALTER TABLE recipe ADD CONSTRAINT recipe_servings_positive CHECK (servings > 0);
ALTER TABLE recipe ALTER COLUMN title SET NOT NULL;
ALTER TABLE recipe DROP COLUMN notes;
