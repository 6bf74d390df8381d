ALTER TABLE items ADD COLUMN note text;
CREATE TABLE tags (id bigint PRIMARY KEY, item_id bigint);
