-- Per-story document frequencies for search (src/store/postgres/memory.ts): how many of a story's turns hold each
-- lexeme of the generated tsvector. With it a search knows a word's IDF without counting its hits, so a common
-- word ("key" in thousands of turns) is checked only on the turns rarer words found instead of having every
-- turn it matches read. Kept by statement-level triggers over transition tables, so a bulk import is one
-- upsert, and an edit (prose UPDATE) or a deletion (a story's turns go by cascade) moves the counts with it.
-- Turns are never removed on their own (undo moves the head; other branches keep their turns and are searched).
CREATE TABLE story_lexemes (
  story_id text COLLATE "C" NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
  lexeme text NOT NULL,
  account_id text COLLATE "C" NOT NULL,
  df integer NOT NULL,
  PRIMARY KEY (story_id, lexeme)
);
ALTER TABLE story_lexemes ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON story_lexemes
  USING (account_id = current_setting('luna.account_id', true)) WITH CHECK (account_id = current_setting('luna.account_id', true));
-- Tenants only read it: the triggers below write as the owner (SECURITY DEFINER).
GRANT SELECT ON story_lexemes TO luna_app;

-- One trigger function for the three statements: the changed turns, each +1 (inserted, new text) or -1
-- (deleted, old text), become per-lexeme deltas. An UPDATE counts only rows whose text changed (the trigger fires
-- for every UPDATE of turns: steering and branch sizes too). Turns of a story being deleted are skipped: its
-- counts go with it by cascade. Counts are written in key order, so two transactions writing one story take row
-- locks in the same order; counts that reach 0 are removed.
CREATE FUNCTION luna_story_lexemes_sync() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  c_story text[];
  c_account text[];
  c_sign integer[];
  c_tsv tsvector[];
  gone_story text[];
  gone_lexeme text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(story_id), array_agg(account_id), array_agg(1), array_agg(tsv) INTO c_story, c_account, c_sign, c_tsv FROM new_turns;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(story_id), array_agg(account_id), array_agg(-1), array_agg(tsv) INTO c_story, c_account, c_sign, c_tsv FROM old_turns;
  ELSE
    SELECT array_agg(x.story_id), array_agg(x.account_id), array_agg(x.sign), array_agg(x.tsv) INTO c_story, c_account, c_sign, c_tsv
    FROM (SELECT o.seq FROM old_turns o JOIN new_turns n ON n.seq = o.seq
          WHERE (o.story_id, o.action, o.prose) IS DISTINCT FROM (n.story_id, n.action, n.prose)) ch
    CROSS JOIN LATERAL (SELECT n.story_id, n.account_id, 1 AS sign, n.tsv FROM new_turns n WHERE n.seq = ch.seq
                        UNION ALL SELECT o.story_id, o.account_id, -1, o.tsv FROM old_turns o WHERE o.seq = ch.seq) x;
  END IF;
  IF c_story IS NULL THEN
    RETURN NULL;
  END IF;
  WITH d AS (
    SELECT c.story_id, l.lexeme, min(c.account_id) AS account_id, sum(c.sign)::integer AS delta
    FROM unnest(c_story, c_account, c_sign, c_tsv) AS c(story_id, account_id, sign, tsv)
         CROSS JOIN LATERAL unnest(tsvector_to_array(c.tsv)) AS l(lexeme)
    WHERE EXISTS (SELECT 1 FROM stories st WHERE st.id = c.story_id)
    GROUP BY c.story_id, l.lexeme
    HAVING sum(c.sign) <> 0
  ), up AS (
    INSERT INTO story_lexemes AS s (story_id, lexeme, account_id, df)
    SELECT d.story_id, d.lexeme, d.account_id, d.delta FROM d ORDER BY d.story_id, d.lexeme
    ON CONFLICT (story_id, lexeme) DO UPDATE SET df = s.df + excluded.df
    RETURNING s.story_id, s.lexeme, s.df
  )
  SELECT array_agg(up.story_id), array_agg(up.lexeme) INTO gone_story, gone_lexeme FROM up WHERE up.df <= 0;
  IF gone_story IS NOT NULL THEN
    DELETE FROM story_lexemes s USING unnest(gone_story, gone_lexeme) AS g(story_id, lexeme)
    WHERE s.story_id = g.story_id AND s.lexeme = g.lexeme AND s.df <= 0;
  END IF;
  RETURN NULL;
END $$;

CREATE TRIGGER turns_lexemes_insert AFTER INSERT ON turns REFERENCING NEW TABLE AS new_turns
  FOR EACH STATEMENT EXECUTE FUNCTION luna_story_lexemes_sync();
CREATE TRIGGER turns_lexemes_update AFTER UPDATE ON turns REFERENCING OLD TABLE AS old_turns NEW TABLE AS new_turns
  FOR EACH STATEMENT EXECUTE FUNCTION luna_story_lexemes_sync();
CREATE TRIGGER turns_lexemes_delete AFTER DELETE ON turns REFERENCING OLD TABLE AS old_turns
  FOR EACH STATEMENT EXECUTE FUNCTION luna_story_lexemes_sync();

-- The stories already here.
INSERT INTO story_lexemes (story_id, lexeme, account_id, df)
SELECT t.story_id, l.lexeme, min(t.account_id), count(*)
FROM turns t CROSS JOIN LATERAL unnest(tsvector_to_array(t.tsv)) AS l(lexeme)
GROUP BY t.story_id, l.lexeme;

-- The text index's pending list (GIN fastupdate) is read in full by every lookup until a vacuum merges it: after
-- a 10,000-turn import it held ~390 pages, and each search term cost ~2 ms scanning them (a steady stream of
-- turns keeps it filling up to the 4 MB default between autovacuums). Kept to the minimum, 64 kB, it is merged
-- as it fills; a 10,000-turn import takes ~1 s longer.
ALTER INDEX turns_tsv SET (gin_pending_list_limit = 64);

-- A story's newest turns, newest first, without reading other stories' newer turns: when the rare words of a
-- search find fewer turns than asked for, the rest are looked for among these.
CREATE INDEX turns_story_seq ON turns(story_id, seq);
