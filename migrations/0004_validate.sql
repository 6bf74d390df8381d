-- 0004 (safe): validate in a later migration, then SET NOT NULL without a scan.
SET lock_timeout = '2s';
ALTER TABLE recipe VALIDATE CONSTRAINT recipe_category_fk;
ALTER TABLE recipe VALIDATE CONSTRAINT recipe_servings_positive;
ALTER TABLE recipe VALIDATE CONSTRAINT recipe_title_not_null;
ALTER TABLE recipe ALTER COLUMN title SET NOT NULL;
ALTER TABLE recipe DROP CONSTRAINT recipe_title_not_null;
