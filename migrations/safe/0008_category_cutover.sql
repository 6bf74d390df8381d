-- 0008: the category fix, step 2 of 3: the cutover. The trigger now writes both ways, so old
-- and new application versions can run side by side (writing category or category_id);
-- category_id becomes a validated foreign key and NOT NULL without a long lock (a CHECK
-- validated first, then SET NOT NULL uses it), and gets the index the new queries need.
-- Runs outside a transaction block (CREATE INDEX CONCURRENTLY).
SET lock_timeout = '2s';
SELECT audit.assert_timeouts();
SELECT audit.assert_not_in_transaction();

CREATE OR REPLACE FUNCTION recipes_category_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' AND NEW.category IS NULL
       OR TG_OP = 'UPDATE' AND NEW.category_id IS DISTINCT FROM OLD.category_id
                           AND NEW.category IS NOT DISTINCT FROM OLD.category THEN
        NEW.category := (SELECT c.name FROM categories c WHERE c.id = NEW.category_id);
    ELSE
        NEW.category_id := (SELECT c.id FROM categories c WHERE c.name = NEW.category);
    END IF;
    RETURN NEW;
END
$$;
CREATE OR REPLACE TRIGGER recipes_category_sync
    BEFORE INSERT OR UPDATE OF category, category_id ON recipes
    FOR EACH ROW EXECUTE FUNCTION recipes_category_sync();

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipes_category_fk') THEN
        ALTER TABLE recipes ADD CONSTRAINT recipes_category_fk
            FOREIGN KEY (category_id) REFERENCES categories (id) NOT VALID;
    END IF;
END
$$;
SELECT audit.assert_constraint_satisfied('recipes', 'recipes_category_fk');
ALTER TABLE recipes VALIDATE CONSTRAINT recipes_category_fk;

SELECT audit.assert_no_nulls('recipes', 'category_id');
DO $$
BEGIN
    IF (SELECT NOT attnotnull FROM pg_attribute
         WHERE attrelid = 'recipes'::regclass AND attname = 'category_id')
       AND NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipes_category_id_present' AND contype = 'c') THEN
        ALTER TABLE recipes ADD CONSTRAINT recipes_category_id_present
            CHECK (category_id IS NOT NULL) NOT VALID;
    END IF;
END
$$;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipes_category_id_present' AND contype = 'c') THEN
        ALTER TABLE recipes VALIDATE CONSTRAINT recipes_category_id_present;
        ALTER TABLE recipes ALTER COLUMN category_id SET NOT NULL;
        ALTER TABLE recipes DROP CONSTRAINT recipes_category_id_present;
    END IF;
END
$$;

CREATE INDEX CONCURRENTLY IF NOT EXISTS recipes_category_id_idx
    ON recipes (category_id, created_at DESC);
SELECT audit.assert_index_valid('recipes_category_id_idx');
