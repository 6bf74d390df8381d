-- First draft of 0008: SET NOT NULL scans the table under ACCESS EXCLUSIVE, the index blocks
-- writes while it builds, and nothing keeps category_id filled for rows the application writes.
ALTER TABLE recipes ALTER COLUMN category_id SET NOT NULL;
CREATE INDEX recipes_category_id_idx ON recipes (category_id, created_at DESC);
