-- 0003 (safe): the same intent, written so that no statement holds a strong lock for long.
-- Run it outside a transaction block (CONCURRENTLY cannot run inside one).
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY IF NOT EXISTS recipe_servings_idx ON recipe (servings);
-- widen without a rewrite: varchar(100) -> varchar(200) is binary-coercible
ALTER TABLE recipe ALTER COLUMN title TYPE varchar(200);
-- constraints: add NOT VALID (instant), validate later (no strong lock during the scan)
ALTER TABLE recipe ADD CONSTRAINT recipe_category_fk
    FOREIGN KEY (category_id) REFERENCES category (id) NOT VALID;
ALTER TABLE recipe ADD CONSTRAINT recipe_servings_positive CHECK (servings > 0) NOT VALID;
ALTER TABLE recipe ADD CONSTRAINT recipe_title_not_null CHECK (title IS NOT NULL) NOT VALID;
