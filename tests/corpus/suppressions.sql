SET lock_timeout = '2s';
-- audit:ignore require-concurrent-index the table is empty until the feature ships
CREATE INDEX recipe_x_idx ON recipe (x);
-- audit:ignore fk-not-valid stale comment
ALTER TABLE recipe ADD COLUMN y int;
-- audit:ignore require-concurent-index typo in the rule name
CREATE INDEX recipe_y_idx ON recipe (y);
-- audit:ignore drop-column
ALTER TABLE recipe DROP COLUMN y;
-- squawk-ignore ban-drop-column
ALTER TABLE recipe DROP COLUMN z;
