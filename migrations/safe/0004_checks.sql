-- 0004: CHECK constraints, added NOT VALID (a brief lock, no scan); 0005 validates them.
SET lock_timeout = '2s';
SELECT audit.assert_timeouts();

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'ratings_score_check') THEN
        ALTER TABLE ratings ADD CONSTRAINT ratings_score_check CHECK (score BETWEEN 1 AND 5) NOT VALID;
    END IF;
END
$$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipes_servings_check') THEN
        ALTER TABLE recipes ADD CONSTRAINT recipes_servings_check CHECK (servings > 0) NOT VALID;
    END IF;
END
$$;
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'recipe_ingredients_quantity_check') THEN
        ALTER TABLE recipe_ingredients ADD CONSTRAINT recipe_ingredients_quantity_check
            CHECK (quantity > 0) NOT VALID;
    END IF;
END
$$;
