DROP FUNCTION IF EXISTS luna_search_passages(text, text[], boolean[], integer, text, integer, text[]);
DROP FUNCTION IF EXISTS luna_passage_turns(text, text[]);
