import type { SearchHit } from '../contract/records.js';
import { searchPhrases, searchTerms } from '../fts-query.js';
import type { Executor, Row } from '../sql/executor.js';

/**
 * Full-text search over the generated tsvector (GIN-indexed). Each sanitized, stopword-free term and each
 * adjacent-word phrase (the ones SQLite's FTS5 query uses; plainto_tsquery/phraseto_tsquery, so no user text can
 * form tsquery syntax) is an item, and a turn scores the sum of the IDF of the items it matches,
 * ln((N+1)/df), N the story's deepest turn: like BM25 without term frequency, so a rare word or a phrase
 * outweighs a common one. Ties go to the newest turn.
 *
 * Document frequencies come from story_lexemes (migration 0011), kept by triggers, so no hit is counted to
 * learn a word's weight. A phrase (or a term of several lexemes) is weighed by the df of its rarer lexeme,
 * an upper bound, unless it is searched (below), where its hits give the exact df.
 *
 * Items are searched rarest first (MaxScore): the turns the rare items match are read and scored on every
 * item; a turn none of them matches can score at most R, the sum of the other items' IDF. When the
 * limit-th best candidate scores above R the answer is exact and the common words' thousands of hits were
 * never read. When all of them score above R but are too few, the remainder is the newest turns matching every
 * other item (score R, ties to the newest), if the story's newest turns hold enough; otherwise the next items
 * join the searched ones. At 10,000 turns a common word ("salt", in half the turns) cost ~5 ms of heap reads,
 * and an item's df another count of its hits.
 */

interface Item { w: string; phrase: boolean; df: number }

const STATS_SQL = `
  SELECT x.i, (SELECT coalesce(min(coalesce((SELECT s.df FROM story_lexemes s WHERE s.story_id = $1 AND s.lexeme = v.lexeme), 0)), 0)
               FROM unnest(tsvector_to_array(to_tsvector('english', x.w))) AS v(lexeme)) AS df,
         (SELECT coalesce(max(depth), 1) FROM turns WHERE story_id = $1) AS n
  FROM unnest($2::text[]) WITH ORDINALITY AS x(w, i)
  ORDER BY x.i`;

/**
 * Hits of the searched items ($2/$3), each with the IDF of the other items ($4/$5/$6) it also matches; a
 * searched item's IDF from its counted hits. tsv is read only for those rows (and for phrases' recheck). Ranks are
 * rounded so turns matching the same items tie whatever order their IDFs were added in (then the newest wins).
 */
const SEARCH_SQL = `
  WITH e AS (SELECT i, CASE WHEN ph THEN phraseto_tsquery('english', w) ELSE plainto_tsquery('english', w) END AS tq
             FROM unnest($2::text[], $3::bool[]) WITH ORDINALITY AS x(w, ph, i)),
       r AS MATERIALIZED (SELECT CASE WHEN ph THEN phraseto_tsquery('english', w) ELSE plainto_tsquery('english', w) END AS tq, v
             FROM unnest($4::text[], $5::bool[], $6::float8[]) AS x(w, ph, v)),
       hits AS MATERIALIZED (SELECT e.i, h.seq, h.id, h.extra FROM e, LATERAL (
                               SELECT t.seq, t.id, (SELECT coalesce(sum(r.v), 0) FROM r WHERE t.tsv @@ r.tq) AS extra
                               FROM turns t WHERE t.story_id = $1 AND t.tsv @@ e.tq) h),
       idf AS (SELECT i, ln((greatest($7::float8, count(*)) + 1.0) / count(*)) AS v FROM hits GROUP BY i)
  SELECT h.id AS turn_id, h.seq, round((sum(idf.v) + max(h.extra))::numeric, 9) AS rank
  FROM hits h JOIN idf ON idf.i = h.i
  GROUP BY h.seq, h.id
  ORDER BY rank DESC, h.seq DESC
  LIMIT $8`;

/**
 * The story's newest turns outside the candidates ($2), each scored on the items not searched: when the
 * rare items find fewer turns than the limit, the rest of the answer is the newest turns matching all of
 * those items, if the window holds enough of them (no older turn can outrank or out-tie them).
 */
const TAIL_SQL = `
  WITH r AS MATERIALIZED (SELECT CASE WHEN ph THEN phraseto_tsquery('english', w) ELSE plainto_tsquery('english', w) END AS tq, v
                          FROM unnest($3::text[], $4::bool[], $5::float8[]) AS x(w, ph, v))
  SELECT t.id AS turn_id, round((SELECT coalesce(sum(r.v), 0) FROM r WHERE t.tsv @@ r.tq)::numeric, 9) AS rank
  FROM (SELECT seq, id, tsv FROM turns WHERE story_id = $1 AND seq <> ALL($2::bigint[]) ORDER BY seq DESC LIMIT $6) t
  ORDER BY t.seq DESC`;

/** Turns the tail reads at least / at most (each checked on the common items only). */
const TAIL_MIN = 64;
const TAIL_MAX = 512;

const idfOf = (n: number, df: number) => Math.log((Math.max(n, df) + 1) / df);

export async function searchTurnsPg(q: Executor, storyId: string, query: string, limit: number): Promise<SearchHit[]> {
  const words = [...searchTerms(query).map((w) => ({ w, phrase: false })), ...searchPhrases(query).map((w) => ({ w, phrase: true }))];
  const stats = await q.all<Row>(STATS_SQL, [storyId, words.map((x) => x.w)]);
  const n = Number(stats[0]?.n ?? 1);
  // An item no turn can match (a stopword to PostgreSQL, or a lexeme the story lacks) weighs nothing.
  const items: Item[] = stats
    .map((s, k) => ({ ...words[k]!, df: Number(s.df) }))
    .filter((x) => x.df > 0)
    .sort((a, b) => a.df - b.df);
  if (!items.length) return [];
  const idf = items.map((x) => idfOf(n, x.df));
  // rest[k]: the most a turn matching none of items[0..k) can score.
  const rest = idf.map((_, k) => idf.slice(k).reduce((a, b) => a + b, 0)).concat(0);
  let k = firstCut(items, idf, rest, limit);
  for (;;) {
    const searched = items.slice(0, k);
    const others = items.slice(k);
    const rows = await q.all<Row>(SEARCH_SQL, [storyId, searched.map((x) => x.w), searched.map((x) => x.phrase),
      others.map((x) => x.w), others.map((x) => x.phrase), idf.slice(k), n, limit]);
    const hits = rows.map((r) => ({ turnId: r.turn_id as string, score: Number(r.rank) }));
    if (k === items.length) return hits;
    const above = (h: SearchHit) => h.score > rest[k]! + 1e-6;
    if (hits.length === limit && above(hits[limit - 1]!)) return hits;
    // Every turn found outranks every turn missed, but they are too few: the remainder may come from the newest turns.
    if (hits.every(above)) {
      const need = limit - hits.length;
      const tail = await q.all<Row>(TAIL_SQL, [storyId, rows.map((r) => r.seq), others.map((x) => x.w), others.map((x) => x.phrase), idf.slice(k),
        Math.min(TAIL_MAX, Math.max(TAIL_MIN, 16 * need))]);
      const full = tail.map((r) => ({ turnId: r.turn_id as string, score: Number(r.rank) })).filter((h) => h.score > rest[k]! - 1e-8);
      if (full.length >= need) return [...hits, ...full.slice(0, need)];
    }
    k = nextCut(items, k);
  }
}

/**
 * The rarest items whose hits likely fill the limit (their dfs add up to it) and each outweigh all the rest
 * together, so every turn they find ranks above every turn they miss.
 */
function firstCut(items: Item[], idf: number[], rest: number[], limit: number): number {
  let sum = 0;
  for (let k = 0; k < items.length; k++) {
    sum += items[k]!.df;
    if (sum >= limit && idf[k]! > rest[k + 1]!) return k + 1;
  }
  return items.length;
}

/** At least one more item, and enough to double the hits read, so a query takes a few rounds at most. */
function nextCut(items: Item[], k: number): number {
  const read = items.slice(0, k).reduce((a, x) => a + x.df, 0);
  let next = k + 1;
  let sum = read + items[k]!.df;
  while (next < items.length && sum < 2 * read) sum += items[next++]!.df;
  return next;
}
