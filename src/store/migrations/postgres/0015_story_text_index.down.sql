-- The tsv-only index as migration 0011 left it (btree_gin stays: other objects may use it).
CREATE INDEX IF NOT EXISTS turns_tsv ON turns USING gin (tsv) WITH (gin_pending_list_limit = 64);
DROP INDEX IF EXISTS turns_story_tsv;
