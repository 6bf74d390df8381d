CREATE TABLE fresh (id bigint);
CREATE INDEX fresh_id_idx ON fresh (id);
ALTER TABLE recipe ADD COLUMN a text;
ALTER TABLE recipe ADD COLUMN b text;
SET lock_timeout TO '3s';
ALTER TABLE recipe ADD COLUMN c text;
SET lock_timeout = 0;
ALTER TABLE recipe ADD COLUMN d text;
