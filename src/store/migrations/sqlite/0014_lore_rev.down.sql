DROP TRIGGER IF EXISTS lore_rev_insert;
DROP TRIGGER IF EXISTS lore_rev_update;
DROP TRIGGER IF EXISTS lore_rev_delete;
ALTER TABLE stories DROP COLUMN lore_rev;
