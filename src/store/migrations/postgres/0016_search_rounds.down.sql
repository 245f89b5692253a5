-- Back to migration 0012's luna_search_turns (its text, unchanged).
CREATE OR REPLACE FUNCTION luna_search_turns(p_story text, p_words text[], p_phrases boolean[], p_limit integer, p_account text DEFAULT NULL)
RETURNS TABLE (turn_id text, rank numeric)
LANGUAGE plpgsql STABLE AS $$
DECLARE
  n float8;
  w text[];
  ph boolean[];
  df integer[];
  idf float8[] := '{}';
  rest float8[];
  cnt integer;
  k integer;
  j integer;
  acc float8;
  read_df bigint;
  hit_ids text[];
  hit_seqs bigint[];
  hit_ranks numeric[];
  found_n integer;
  tail_ids text[];
  tail_ranks numeric[];
BEGIN
  IF p_account IS NOT NULL AND NOT EXISTS (SELECT 1 FROM stories s WHERE s.id = p_story AND s.account_id = p_account) THEN
    RETURN;
  END IF;
  SELECT coalesce(max(t.depth), 1) INTO n FROM turns t WHERE t.story_id = p_story;
  -- A phrase (or a term of several lexemes) is weighed by its rarest lexeme's count, an upper bound on its
  -- df, until it is searched: then its counted hits give the exact df.
  SELECT array_agg(x.w ORDER BY x.df, x.i), array_agg(x.ph ORDER BY x.df, x.i), array_agg(x.df ORDER BY x.df, x.i)
    INTO w, ph, df
    FROM (SELECT u.w, u.ph, u.i,
                 (SELECT coalesce(min(coalesce((SELECT s.df FROM story_lexemes s WHERE s.story_id = p_story AND s.lexeme = v.lexeme), 0)), 0)
                    FROM unnest(tsvector_to_array(to_tsvector('english', u.w))) AS v(lexeme)) AS df
            FROM unnest(p_words, p_phrases) WITH ORDINALITY AS u(w, ph, i)) x
   WHERE x.df > 0;
  cnt := coalesce(array_length(w, 1), 0);
  IF cnt = 0 OR p_limit <= 0 THEN
    RETURN;
  END IF;
  FOR j IN 1..cnt LOOP
    idf := idf || ln((greatest(n, df[j]) + 1.0) / df[j]);
  END LOOP;
  -- rest[j]: the most a turn matching none of items 1..j-1 can score.
  rest := array_fill(0::float8, ARRAY[cnt + 1]);
  FOR j IN REVERSE cnt..1 LOOP
    rest[j] := rest[j + 1] + idf[j];
  END LOOP;
  -- First cut: the rarest items whose counts add up to the limit and that each outweigh all the rest together.
  k := cnt;
  acc := 0;
  FOR j IN 1..cnt LOOP
    acc := acc + df[j];
    IF acc >= p_limit AND idf[j] > rest[j + 1] THEN
      k := j;
      EXIT;
    END IF;
  END LOOP;

  LOOP
    -- The searched items' hits, each scored on every item; ranks rounded so turns matching the same items tie
    -- whatever order their IDFs were added in (then the newest wins). EXECUTE, so it is planned for this story
    -- each time: a cached generic plan estimates an average story, and for a 10,000-turn story among small ones
    -- it read every turn of the story for each item (60 ms) instead of the text index's hits.
    EXECUTE $q$
    WITH e AS (SELECT u.i, CASE WHEN u.ph THEN phraseto_tsquery('english', u.w) ELSE plainto_tsquery('english', u.w) END AS tq
                 FROM unnest($1::text[], $2::boolean[]) WITH ORDINALITY AS u(w, ph, i)),
         r AS MATERIALIZED (SELECT CASE WHEN u.ph THEN phraseto_tsquery('english', u.w) ELSE plainto_tsquery('english', u.w) END AS tq, u.v
                 FROM unnest($3::text[], $4::boolean[], $5::float8[]) AS u(w, ph, v)),
         hits AS MATERIALIZED (SELECT e.i, h.seq, h.id, h.extra FROM e, LATERAL (
                 SELECT t.seq, t.id, (SELECT coalesce(sum(r.v), 0) FROM r WHERE t.tsv @@ r.tq) AS extra
                   FROM turns t WHERE t.story_id = $6 AND ($7::text IS NULL OR t.account_id = $7) AND t.tsv @@ e.tq) h),
         hidf AS (SELECT hits.i, ln((greatest($8::float8, count(*)) + 1.0) / count(*)) AS v FROM hits GROUP BY hits.i),
         ranked AS (SELECT h.id, h.seq, round((sum(hidf.v) + max(h.extra))::numeric, 9) AS rk
                      FROM hits h JOIN hidf ON hidf.i = h.i
                     GROUP BY h.seq, h.id
                     ORDER BY rk DESC, h.seq DESC
                     LIMIT $9)
    SELECT array_agg(ranked.id ORDER BY ranked.rk DESC, ranked.seq DESC), array_agg(ranked.seq ORDER BY ranked.rk DESC, ranked.seq DESC),
           array_agg(ranked.rk ORDER BY ranked.rk DESC, ranked.seq DESC)
      FROM ranked $q$
      INTO hit_ids, hit_seqs, hit_ranks
      USING w[1:k], ph[1:k], w[k + 1:cnt], ph[k + 1:cnt], idf[k + 1:cnt], p_story, p_account, n, p_limit;
    found_n := coalesce(array_length(hit_ids, 1), 0);
    IF k = cnt OR (found_n = p_limit AND hit_ranks[found_n] > rest[k + 1] + 1e-6) THEN
      RETURN QUERY SELECT u.id, u.rk FROM unnest(hit_ids, hit_ranks) WITH ORDINALITY AS u(id, rk, o) ORDER BY u.o;
      RETURN;
    END IF;
    -- Every turn found outranks every turn missed (the lowest is the last), but they are too few: the rest may be
    -- the story's newest turns matching every item not searched, if the newest 64 to 512 turns hold enough of them.
    IF found_n = 0 OR hit_ranks[found_n] > rest[k + 1] + 1e-6 THEN
      WITH r AS MATERIALIZED (SELECT CASE WHEN u.ph THEN phraseto_tsquery('english', u.w) ELSE plainto_tsquery('english', u.w) END AS tq, u.v
                                FROM unnest(w[k + 1:cnt], ph[k + 1:cnt], idf[k + 1:cnt]) AS u(w, ph, v)),
           newest AS (SELECT t.seq, t.id, round((SELECT coalesce(sum(r.v), 0) FROM r WHERE t.tsv @@ r.tq)::numeric, 9) AS rk
                        FROM (SELECT tt.seq, tt.id, tt.tsv FROM turns tt
                               WHERE tt.story_id = p_story AND (p_account IS NULL OR tt.account_id = p_account) AND tt.seq <> ALL(coalesce(hit_seqs, '{}'))
                               ORDER BY tt.seq DESC LIMIT least(512, greatest(64, 16 * (p_limit - found_n)))) t),
           full_match AS (SELECT newest.id, newest.rk, newest.seq FROM newest WHERE newest.rk > rest[k + 1] - 1e-8
                           ORDER BY newest.seq DESC LIMIT p_limit - found_n)
      SELECT array_agg(full_match.id ORDER BY full_match.seq DESC), array_agg(full_match.rk ORDER BY full_match.seq DESC)
        INTO tail_ids, tail_ranks FROM full_match;
      IF coalesce(array_length(tail_ids, 1), 0) >= p_limit - found_n THEN
        RETURN QUERY SELECT u.id, u.rk FROM unnest(coalesce(hit_ids, '{}') || tail_ids, coalesce(hit_ranks, '{}') || tail_ranks)
                                            WITH ORDINALITY AS u(id, rk, o) ORDER BY u.o;
        RETURN;
      END IF;
    END IF;
    -- At least one more item, and enough to double the hits read, so a query takes a few rounds at most.
    read_df := 0;
    FOR j IN 1..k LOOP
      read_df := read_df + df[j];
    END LOOP;
    acc := read_df + df[k + 1];
    k := k + 1;
    WHILE k < cnt AND acc < 2 * read_df LOOP
      k := k + 1;
      acc := acc + df[k];
    END LOOP;
  END LOOP;
END $$;
