SET lock_timeout = '2s';
CREATE TABLE t_with_a_name_that_is_far_too_long_for_postgres_to_keep_in_full_every_time (id bigint);
CREATE INDEX "an index name quoted and with spaces that is longer than sixty-three bytes" ON recipe (title);
COMMENT ON TABLE recipe IS 'a_string_literal_that_is_longer_than_sixty_three_bytes_is_not_an_identifier_at_all';
CREATE INDEX CONCURRENTLY idx_short ON recipe (title);
