-- The tables tests/trace.sh and tests/trace_db.sh rehearse on; recipe has :recipes rows.
SET lock_timeout = '5s';
CREATE TABLE category (id int PRIMARY KEY, name text NOT NULL);
INSERT INTO category SELECT g, 'category ' || g FROM generate_series(1, 100) g;
CREATE TABLE recipe (id int PRIMARY KEY, title varchar(200) NOT NULL, category_id int, servings int);
INSERT INTO recipe SELECT g, 'recipe ' || g, 1 + g % 100, NULL FROM generate_series(1, :recipes) g;
CREATE TABLE item (id int PRIMARY KEY, a int);
INSERT INTO item SELECT g, g FROM generate_series(1, 2000) g;
