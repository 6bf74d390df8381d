-- Rollback of 0007: drop the sync trigger, its function and category_id (the data is still in
-- category).
SET lock_timeout = '2s';
DROP TRIGGER IF EXISTS recipes_category_sync ON recipes;
DROP FUNCTION IF EXISTS recipes_category_sync();
ALTER TABLE recipes DROP COLUMN IF EXISTS category_id;
