-- Passage turns (src/store/sql/passages.ts) as server-side functions, for their cached plans: as a statement from
-- the client, the search with its turns was planned on every call (~1 ms, more than reading the turns).
--
-- luna_passage_turns: the story's turns among p_ids (k = 0), each with the last 600 characters of its parent's
-- prose (edge; whole = 1 when nothing was cut), and every child's first 600 characters as a row of its own (k = 1,
-- only id and parent_id set). The same rows as passageTurnsSql, which SQLite runs as a statement.
CREATE FUNCTION luna_passage_turns(p_story text, p_ids text[])
RETURNS TABLE (k integer, seq bigint, id text, story_id text, parent_id text, depth integer, action text, prose text, plan jsonb,
               created_at timestamptz, note text, ooc text, continued boolean, edited_at timestamptz, edge text, whole integer)
LANGUAGE plpgsql STABLE AS $$
BEGIN
  RETURN QUERY
    SELECT 0, t.seq, t.id, t.story_id, t.parent_id, t.depth, t.action, t.prose, t.plan, t.created_at, t.note, t.ooc, t.continued, t.edited_at,
           CASE WHEN length(p.prose) > 600 THEN substr(p.prose, length(p.prose) - 599) ELSE p.prose END,
           CASE WHEN length(p.prose) > 600 THEN 0 ELSE 1 END
      FROM turns t LEFT JOIN turns p ON p.id = t.parent_id
     WHERE t.id = ANY(p_ids) AND t.story_id = p_story
    UNION ALL
    SELECT 1, c.seq, c.id, NULL, c.parent_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           substr(c.prose, 1, 600), CASE WHEN length(c.prose) > 600 THEN 0 ELSE 1 END
      FROM turns c WHERE c.parent_id = ANY(p_ids) AND c.story_id = p_story
    ORDER BY 1, 2;
END $$;
GRANT EXECUTE ON FUNCTION luna_passage_turns(text, text[]) TO luna_app;

-- The search (luna_search_turns, same arguments and confinement) and the passage turns of its first p_read hits
-- and of p_also (turns the caller will read whatever the search finds: where facts were recorded) in one call;
-- the hits follow as k = 2 rows, best first: id, and the rank as text in edge.
CREATE FUNCTION luna_search_passages(p_story text, p_words text[], p_phrases boolean[], p_limit integer, p_account text, p_read integer,
                                     p_also text[] DEFAULT NULL)
RETURNS TABLE (k integer, seq bigint, id text, story_id text, parent_id text, depth integer, action text, prose text, plan jsonb,
               created_at timestamptz, note text, ooc text, continued boolean, edited_at timestamptz, edge text, whole integer)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  ids text[];
  ranks numeric[];
BEGIN
  SELECT array_agg(h.turn_id ORDER BY h.o), array_agg(h.rank ORDER BY h.o) INTO ids, ranks
    FROM luna_search_turns(p_story, p_words, p_phrases, p_limit, p_account) WITH ORDINALITY AS h(turn_id, rank, o);
  IF ids IS NULL THEN
    RETURN;
  END IF;
  RETURN QUERY SELECT * FROM luna_passage_turns(p_story, ids[1:greatest(p_read, 0)] || coalesce(p_also, '{}'));
  RETURN QUERY SELECT 2, u.o, u.id, NULL::text, NULL::text, NULL::integer, NULL::text, NULL::text, NULL::jsonb, NULL::timestamptz, NULL::text, NULL::text,
                      NULL::boolean, NULL::timestamptz, u.rk::text, 1
                 FROM unnest(ids, ranks) WITH ORDINALITY AS u(id, rk, o);
END $$;
GRANT EXECUTE ON FUNCTION luna_search_passages(text, text[], boolean[], integer, text, integer, text[]) TO luna_app;
