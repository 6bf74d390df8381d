-- migrate:up transaction:false
CREATE INDEX CONCURRENTLY items_name_idx ON items (name);

-- migrate:down transaction:false
DROP INDEX CONCURRENTLY items_name_idx;
