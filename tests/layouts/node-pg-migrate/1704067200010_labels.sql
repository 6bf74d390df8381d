-- Up Migration
CREATE TABLE labels (id bigint PRIMARY KEY, item_id bigint);
CREATE INDEX labels_item_id_idx ON labels (item_id);

-- Down Migration
DROP TABLE labels;
