-- Full-text search scoped by story inside the index: story_id becomes an FTS column, so a query
-- `story_id:"…" AND (terms)` intersects posting lists instead of ranking every matching turn of every
-- story and filtering afterwards. With 30,000 turns in one database, a search in a 10,000-turn story
-- went from ~38 ms to ~13 ms, and in a small story from ~19 ms to ~0.1 ms.
DROP TRIGGER IF EXISTS turns_fts_au;
DROP TRIGGER IF EXISTS turns_fts_ad;
DROP TRIGGER IF EXISTS turns_fts_ai;
DROP TABLE IF EXISTS turns_fts;
CREATE VIRTUAL TABLE turns_fts USING fts5(
  story_id, action, prose, content='turns', content_rowid='seq', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER turns_fts_ai AFTER INSERT ON turns BEGIN
  INSERT INTO turns_fts(rowid, story_id, action, prose) VALUES (new.seq, new.story_id, new.action, new.prose);
END;
CREATE TRIGGER turns_fts_ad AFTER DELETE ON turns BEGIN
  INSERT INTO turns_fts(turns_fts, rowid, story_id, action, prose) VALUES ('delete', old.seq, old.story_id, old.action, old.prose);
END;
CREATE TRIGGER turns_fts_au AFTER UPDATE OF story_id, action, prose ON turns BEGIN
  INSERT INTO turns_fts(turns_fts, rowid, story_id, action, prose) VALUES ('delete', old.seq, old.story_id, old.action, old.prose);
  INSERT INTO turns_fts(rowid, story_id, action, prose) VALUES (new.seq, new.story_id, new.action, new.prose);
END;
INSERT INTO turns_fts(turns_fts) VALUES ('rebuild');
