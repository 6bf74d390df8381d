-- atlas:txmode none

CREATE INDEX CONCURRENTLY items_name_idx ON items (name);
