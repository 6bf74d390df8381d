-- +goose Up
-- +goose StatementBegin
ALTER TABLE items ADD COLUMN note text;
CREATE TABLE tags (id bigint PRIMARY KEY, item_id bigint);
-- +goose StatementEnd

-- +goose Down
DROP TABLE tags;
ALTER TABLE items DROP COLUMN note;
