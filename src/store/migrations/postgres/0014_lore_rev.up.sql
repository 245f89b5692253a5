-- A revision number per story's lore, moved on by every write to it, so a reader holding the lore of that revision
-- need not read it again: context assembly read every entry on every turn (a 1,000-entry lorebook was most of the
-- memory read), and lore rarely changes. Statement-level triggers: a 5,000-entry import bumps it once.
ALTER TABLE stories ADD COLUMN lore_rev bigint NOT NULL DEFAULT 0;

-- SECURITY DEFINER: a tenant writing its lore bumps its story's number whatever its grants on stories. A story
-- being deleted takes its lore by cascade; its row is already gone and the UPDATE finds nothing.
CREATE FUNCTION luna_lore_rev_bump() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    UPDATE stories s SET lore_rev = s.lore_rev + 1 WHERE s.id IN (SELECT n.story_id FROM new_lore n);
  ELSIF TG_OP = 'DELETE' THEN
    UPDATE stories s SET lore_rev = s.lore_rev + 1 WHERE s.id IN (SELECT o.story_id FROM old_lore o);
  ELSE
    UPDATE stories s SET lore_rev = s.lore_rev + 1 WHERE s.id IN (SELECT n.story_id FROM new_lore n UNION SELECT o.story_id FROM old_lore o);
  END IF;
  RETURN NULL;
END $$;
CREATE TRIGGER lore_rev_insert AFTER INSERT ON lore REFERENCING NEW TABLE AS new_lore FOR EACH STATEMENT EXECUTE FUNCTION luna_lore_rev_bump();
CREATE TRIGGER lore_rev_update AFTER UPDATE ON lore REFERENCING OLD TABLE AS old_lore NEW TABLE AS new_lore FOR EACH STATEMENT EXECUTE FUNCTION luna_lore_rev_bump();
CREATE TRIGGER lore_rev_delete AFTER DELETE ON lore REFERENCING OLD TABLE AS old_lore FOR EACH STATEMENT EXECUTE FUNCTION luna_lore_rev_bump();

-- The memory read (0012) with the caller's lore revision: when it is still the story's, lore and lore_chars come
-- back null (src/store/postgres/memory.ts). Also returns the revision. p_account confines the read to that
-- account's story, as luna_search_turns does: an account's store calls it on the owner's connection, one round
-- trip where a transaction under row-level security took three (BEGIN and settings, the read, COMMIT). Every
-- row it reads is the story's, so a story that is not the account's reads as an empty one.
DROP FUNCTION luna_story_memory(text, text);
CREATE FUNCTION luna_story_memory(p_story text, p_head text, p_lore_rev bigint DEFAULT NULL, p_account text DEFAULT NULL)
RETURNS TABLE (entities json, facts json, lore json, arcs json, lore_chars bigint, turns integer, chars bigint, lore_rev bigint)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  rev bigint;
  same boolean;
BEGIN
  IF p_account IS NOT NULL AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = p_story AND s.account_id = p_account) THEN
    p_story := NULL;
  END IF;
  SELECT s.lore_rev INTO rev FROM stories s WHERE s.id = p_story;
  same := p_lore_rev IS NOT NULL AND rev IS NOT DISTINCT FROM p_lore_rev;
  RETURN QUERY SELECT
    (SELECT coalesce(json_agg(x ORDER BY x.seq), '[]') FROM (SELECT e.*, e.created_at::text AS created_text FROM entities e WHERE e.story_id = p_story) x),
    (SELECT coalesce(json_agg(x ORDER BY x.depth, x.seq), '[]') FROM (SELECT f.*, f.created_at::text AS created_text FROM facts f WHERE f.story_id = p_story) x),
    CASE WHEN same THEN NULL
         ELSE (SELECT coalesce(json_agg(x ORDER BY x.seq), '[]') FROM (SELECT l.*, l.created_at::text AS created_text FROM lore l WHERE l.story_id = p_story) x) END,
    (SELECT coalesce(json_agg(x ORDER BY x.to_depth, x.seq), '[]') FROM (SELECT a.*, a.created_at::text AS created_text FROM arc_summaries a WHERE a.story_id = p_story) x),
    CASE WHEN same THEN NULL ELSE (SELECT coalesce(sum(length(l.title) + length(l.body)), 0)::bigint FROM lore l WHERE l.story_id = p_story) END,
    (SELECT t.depth FROM turns t WHERE t.id = p_head AND t.story_id = p_story),
    (SELECT t.branch_chars FROM turns t WHERE t.id = p_head AND t.story_id = p_story),
    coalesce(rev, 0);
END $$;
GRANT EXECUTE ON FUNCTION luna_story_memory(text, text, bigint, text) TO luna_app;
