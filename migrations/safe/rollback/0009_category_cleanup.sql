-- Rollback of 0009: bring back recipes.category with its data (from category_id, in batches),
-- NOT NULL (through a validated CHECK) and its index; then run 0008 again (it is idempotent)
-- for the sync trigger. Nothing changes when 0009 was skipped. The column comes back last in
-- the table's column order. Outside a transaction block.
SET lock_timeout = '2s';
SELECT audit.assert_not_in_transaction();
ALTER TABLE recipes ADD COLUMN IF NOT EXISTS category text;
DO $$
DECLARE
    lo bigint;
    hi bigint;
BEGIN
    SELECT min(id), max(id) INTO lo, hi FROM recipes WHERE category IS NULL;
    WHILE lo <= hi LOOP
        UPDATE recipes r SET category = c.name FROM categories c
         WHERE c.id = r.category_id AND r.id >= lo AND r.id < lo + 10000 AND r.category IS NULL;
        COMMIT;
        lo := lo + 10000;
    END LOOP;
END
$$;
DO $$
BEGIN
    IF (SELECT NOT attnotnull FROM pg_attribute
         WHERE attrelid = 'recipes'::regclass AND attname = 'category')
       AND NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipes_category_present' AND contype = 'c') THEN
        ALTER TABLE recipes ADD CONSTRAINT recipes_category_present
            CHECK (category IS NOT NULL) NOT VALID;
    END IF;
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipes_category_present' AND contype = 'c') THEN
        ALTER TABLE recipes VALIDATE CONSTRAINT recipes_category_present;
        ALTER TABLE recipes ALTER COLUMN category SET NOT NULL;
        ALTER TABLE recipes DROP CONSTRAINT recipes_category_present;
    END IF;
END
$$;
CREATE INDEX CONCURRENTLY IF NOT EXISTS recipes_category_idx ON recipes (category, created_at DESC);
