-- First draft of 0009: the old column dropped in the same release, while application servers
-- still read it.
ALTER TABLE recipes DROP COLUMN category;
