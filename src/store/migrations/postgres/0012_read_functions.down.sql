DROP FUNCTION IF EXISTS luna_search_turns(text, text[], boolean[], integer, text);
DROP FUNCTION IF EXISTS luna_story_memory(text, text);
