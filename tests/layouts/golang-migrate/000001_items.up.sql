CREATE TABLE items (id bigint PRIMARY KEY, name text NOT NULL);
INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c');
