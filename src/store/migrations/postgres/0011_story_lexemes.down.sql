DROP INDEX IF EXISTS turns_story_seq;
ALTER INDEX turns_tsv RESET (gin_pending_list_limit);
DROP TRIGGER IF EXISTS turns_lexemes_insert ON turns;
DROP TRIGGER IF EXISTS turns_lexemes_update ON turns;
DROP TRIGGER IF EXISTS turns_lexemes_delete ON turns;
DROP FUNCTION IF EXISTS luna_story_lexemes_sync();
DROP TABLE IF EXISTS story_lexemes;
