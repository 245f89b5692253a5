-- A revision number per story's lore, moved on by every write to it, so a reader holding the lore of that revision
-- need not read it again (context assembly read every entry on every turn). See the PostgreSQL migration.
ALTER TABLE stories ADD COLUMN lore_rev INTEGER NOT NULL DEFAULT 0;
CREATE TRIGGER lore_rev_insert AFTER INSERT ON lore BEGIN
  UPDATE stories SET lore_rev = lore_rev + 1 WHERE id = NEW.story_id;
END;
CREATE TRIGGER lore_rev_update AFTER UPDATE ON lore BEGIN
  UPDATE stories SET lore_rev = lore_rev + 1 WHERE id IN (OLD.story_id, NEW.story_id);
END;
CREATE TRIGGER lore_rev_delete AFTER DELETE ON lore BEGIN
  UPDATE stories SET lore_rev = lore_rev + 1 WHERE id = OLD.story_id;
END;
