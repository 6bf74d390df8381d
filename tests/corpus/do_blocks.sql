SELECT set_config('lock_timeout', '2s', false);
DO $$
DECLARE
  n int;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_indexes WHERE indexname = 'recipe_title_idx') THEN
    CREATE INDEX recipe_title_idx ON recipe (title);
  END IF;
  EXECUTE 'ALTER TABLE recipe ALTER COLUMN id TYPE bigint';
  EXECUTE format('DROP TABLE %I', 'dynamic_is_not_known_before_it_runs');
  PERFORM 1 FROM recipe FOR UPDATE;
END $$;
DO LANGUAGE plpgsql 'BEGIN ALTER TABLE recipe DROP COLUMN legacy; END';
DO $outer$ BEGIN ALTER TABLE recipe ADD COLUMN note text; END $outer$;
CREATE TABLE flag (f "char");
