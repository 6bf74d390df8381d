CREATE OR REPLACE VIEW item_names AS SELECT id, name FROM items;
