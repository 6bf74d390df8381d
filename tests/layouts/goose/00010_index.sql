-- +goose NO TRANSACTION
-- +goose Up
CREATE INDEX CONCURRENTLY items_name_idx ON items (name);

-- +goose Down
DROP INDEX CONCURRENTLY items_name_idx;
