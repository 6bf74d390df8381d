-- Rollback of 0008: the index, NOT NULL and the foreign key go; the trigger writes one way
-- again, as 0007 left it. Outside a transaction block (DROP INDEX CONCURRENTLY).
SET lock_timeout = '2s';
DROP INDEX CONCURRENTLY IF EXISTS recipes_category_id_idx;
ALTER TABLE recipes DROP CONSTRAINT IF EXISTS recipes_category_fk,
                    DROP CONSTRAINT IF EXISTS recipes_category_id_present;
DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_attribute WHERE attrelid = 'recipes'::regclass
                AND attname = 'category_id' AND attnotnull) THEN
        ALTER TABLE recipes ALTER COLUMN category_id DROP NOT NULL;
    END IF;
    IF EXISTS (SELECT FROM pg_trigger WHERE tgname = 'recipes_category_sync') THEN
        CREATE OR REPLACE FUNCTION recipes_category_sync() RETURNS trigger
        LANGUAGE plpgsql AS $f$
        BEGIN
            NEW.category_id := (SELECT c.id FROM categories c WHERE c.name = NEW.category);
            RETURN NEW;
        END
        $f$;
        CREATE OR REPLACE TRIGGER recipes_category_sync
            BEFORE INSERT OR UPDATE OF category ON recipes
            FOR EACH ROW EXECUTE FUNCTION recipes_category_sync();
    END IF;
END
$$;
