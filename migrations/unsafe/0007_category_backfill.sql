-- First draft of 0007: the new column with a validated foreign key, and one UPDATE of every
-- row in one transaction (every row locked until it commits, dead tuples for the whole table).
BEGIN;
ALTER TABLE recipes ADD COLUMN category_id bigint REFERENCES categories (id);
UPDATE recipes r SET category_id = c.id FROM categories c WHERE c.name = r.category;
COMMIT;
