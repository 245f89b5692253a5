-- The text index by story and word together: GIN over (story_id, tsv), with btree_gin. The index on tsv alone
-- holds every story's postings: a story's search read each word's hits in every story from the heap and threw
-- away the others', so it slowed with the database, not the story (context assembly on a 10,000-turn story:
-- 6.4 ms alone, 10.5 ms beside three more like it; 7.3 ms with this index). The composite index intersects
-- the story's postings with the word's inside the index. It replaces the tsv-only index, which served only
-- story-scoped searches.
--
-- btree_gin ships with PostgreSQL (contrib) and is a trusted extension: a database owner may create it. Where
-- it is missing or not allowed, the migration keeps the old index (searches stay correct, and slower as the
-- database grows) and says so; run it again once the extension can be created (docs/postgres.md).
DO $$
BEGIN
  BEGIN
    CREATE EXTENSION IF NOT EXISTS btree_gin;
  EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'luna: btree_gin is not available (%); the text index stays per word, not per story', SQLERRM;
    RETURN;
  END;
  CREATE INDEX IF NOT EXISTS turns_story_tsv ON turns USING gin (story_id, tsv) WITH (gin_pending_list_limit = 64);
  DROP INDEX IF EXISTS turns_tsv;
END $$;
