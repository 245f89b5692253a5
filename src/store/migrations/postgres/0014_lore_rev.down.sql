DROP FUNCTION IF EXISTS luna_story_memory(text, text, bigint, text);
-- As migration 0012 made it.
CREATE FUNCTION luna_story_memory(p_story text, p_head text)
RETURNS TABLE (entities json, facts json, lore json, arcs json, lore_chars bigint, turns integer, chars bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY SELECT
    (SELECT coalesce(json_agg(x ORDER BY x.seq), '[]') FROM (SELECT e.*, e.created_at::text AS created_text FROM entities e WHERE e.story_id = p_story) x),
    (SELECT coalesce(json_agg(x ORDER BY x.depth, x.seq), '[]') FROM (SELECT f.*, f.created_at::text AS created_text FROM facts f WHERE f.story_id = p_story) x),
    (SELECT coalesce(json_agg(x ORDER BY x.seq), '[]') FROM (SELECT l.*, l.created_at::text AS created_text FROM lore l WHERE l.story_id = p_story) x),
    (SELECT coalesce(json_agg(x ORDER BY x.to_depth, x.seq), '[]') FROM (SELECT a.*, a.created_at::text AS created_text FROM arc_summaries a WHERE a.story_id = p_story) x),
    (SELECT coalesce(sum(length(l.title) + length(l.body)), 0)::bigint FROM lore l WHERE l.story_id = p_story),
    (SELECT t.depth FROM turns t WHERE t.id = p_head AND t.story_id = p_story),
    (SELECT t.branch_chars FROM turns t WHERE t.id = p_head AND t.story_id = p_story);
END $$;
GRANT EXECUTE ON FUNCTION luna_story_memory(text, text) TO luna_app;
DROP TRIGGER IF EXISTS lore_rev_insert ON lore;
DROP TRIGGER IF EXISTS lore_rev_update ON lore;
DROP TRIGGER IF EXISTS lore_rev_delete ON lore;
DROP FUNCTION IF EXISTS luna_lore_rev_bump();
ALTER TABLE stories DROP COLUMN IF EXISTS lore_rev;
