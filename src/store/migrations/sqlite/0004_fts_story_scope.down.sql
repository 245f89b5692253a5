DROP TRIGGER IF EXISTS turns_fts_au;
DROP TRIGGER IF EXISTS turns_fts_ad;
DROP TRIGGER IF EXISTS turns_fts_ai;
DROP TABLE IF EXISTS turns_fts;
CREATE VIRTUAL TABLE turns_fts USING fts5(
  action, prose, content='turns', content_rowid='seq', tokenize='porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER turns_fts_ai AFTER INSERT ON turns BEGIN
  INSERT INTO turns_fts(rowid, action, prose) VALUES (new.seq, new.action, new.prose);
END;
CREATE TRIGGER turns_fts_ad AFTER DELETE ON turns BEGIN
  INSERT INTO turns_fts(turns_fts, rowid, action, prose) VALUES ('delete', old.seq, old.action, old.prose);
END;
CREATE TRIGGER turns_fts_au AFTER UPDATE OF action, prose ON turns BEGIN
  INSERT INTO turns_fts(turns_fts, rowid, action, prose) VALUES ('delete', old.seq, old.action, old.prose);
  INSERT INTO turns_fts(rowid, action, prose) VALUES (new.seq, new.action, new.prose);
END;
INSERT INTO turns_fts(turns_fts) VALUES ('rebuild');
