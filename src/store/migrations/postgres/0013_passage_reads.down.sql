DROP FUNCTION IF EXISTS luna_search_passages(text, text[], boolean[], integer, text, integer);
DROP FUNCTION IF EXISTS luna_passage_turns(text, text[]);
