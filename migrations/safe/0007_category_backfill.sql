-- 0007: the category fix, step 1 of 3: a category_id column beside the free-text category,
-- kept in step for new writes by a trigger, and backfilled in batches of 10,000 rows, each
-- committed on its own (no long transaction, no table lock; row locks for one batch at a
-- time). Reports the rows it filled. Runs outside a transaction block (the batches COMMIT).
SET lock_timeout = '2s';
SELECT audit.assert_timeouts();
SELECT audit.assert_not_in_transaction();

ALTER TABLE recipes ADD COLUMN IF NOT EXISTS category_id bigint;

-- the application still writes category (the name): fill category_id from it
CREATE OR REPLACE FUNCTION recipes_category_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.category_id := (SELECT c.id FROM categories c WHERE c.name = NEW.category);
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER recipes_category_sync
    BEFORE INSERT OR UPDATE OF category ON recipes
    FOR EACH ROW EXECUTE FUNCTION recipes_category_sync();

DO $$
DECLARE
    lo bigint;
    hi bigint;
    n bigint;
    filled bigint := 0;
    batches integer := 0;
BEGIN
    SELECT min(id), max(id) INTO lo, hi FROM recipes WHERE category_id IS NULL;
    WHILE lo <= hi LOOP
        UPDATE recipes r SET category_id = c.id
          FROM categories c
         WHERE c.name = r.category AND r.id >= lo AND r.id < lo + 10000 AND r.category_id IS NULL;
        GET DIAGNOSTICS n = ROW_COUNT;
        filled := filled + n;
        batches := batches + 1;
        COMMIT;
        lo := lo + 10000;
    END LOOP;
    RAISE NOTICE 'backfill: % rows filled in % batches, % rows without category_id',
        filled, batches, (SELECT count(*) FROM recipes WHERE category_id IS NULL);
END
$$;
