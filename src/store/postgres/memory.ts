import type { SearchHit } from '../contract/records.js';
import { searchPhrases, searchTerms } from '../fts-query.js';
import type { SqlContext } from '../sql/context.js';
import type { Row } from '../sql/executor.js';
import { SqlMemory } from '../sql/memory.js';

/**
 * Full-text search over the generated tsvector (GIN-indexed). Each sanitized, stopword-free term and each
 * adjacent-word phrase (the same ones SQLite's FTS5 query uses; plainto_tsquery/phraseto_tsquery, so no user
 * text can form tsquery syntax) is looked up on its own, and a turn scores the sum of the IDF of what it
 * matches, ln((N+1)/df), N the story's deepest turn (one probe of turns_story, about its turn count; a
 * count(*) read every row): like BM25 without term frequency, so a rare word or a
 * phrase outweighs a common one (ts_rank_cd has no IDF, and ranking every match with it read each row's
 * tsvector). One index scan per term; no row is read for single words.
 */
const SEARCH_SQL = `
  WITH q AS (
         SELECT w, tq FROM (SELECT w, plainto_tsquery('english', w) AS tq FROM unnest($2::text[]) AS w
                            UNION ALL SELECT p, phraseto_tsquery('english', p) FROM unnest($4::text[]) AS p) x
         WHERE numnode(tq) > 0),
       hits AS MATERIALIZED (SELECT q.w, h.id, h.seq FROM q, LATERAL (SELECT t.id, t.seq FROM turns t WHERE t.story_id = $1 AND t.tsv @@ q.tq) h),
       n AS MATERIALIZED (SELECT coalesce(max(depth), 1) AS n FROM turns WHERE story_id = $1),
       idf AS MATERIALIZED (SELECT w, ln((greatest((SELECT n FROM n), count(*)) + 1.0) / count(*)) AS v FROM hits GROUP BY w)
  SELECT h.id AS turn_id, sum(idf.v) AS rank
  FROM hits h JOIN idf ON idf.w = h.w
  GROUP BY h.id, h.seq
  ORDER BY rank DESC, h.seq DESC
  LIMIT $3`;

/** PostgreSQL's own search: tsvector ranking, and pgvector (or plain SQL) similarity. */
export class PgMemory extends SqlMemory {
  /** `pgvector` is set at open when the extension is installed: similarity then uses its `<=>` operator. */
  constructor(c: SqlContext, readonly pgvector: boolean) {
    super(c);
  }

  override async searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]> {
    const terms = searchTerms(query);
    if (!terms.length || limit <= 0) return [];
    const rows = await this.c.db.read((q) => q.all<Row>(SEARCH_SQL, [storyId, terms, Math.floor(limit), searchPhrases(query)]), 'searching turns');
    return rows.map((r) => ({ turnId: r.turn_id as string, score: Number(r.rank) }));
  }

  /** Cosine similarity in SQL (pgvector's operator when installed, else luna_cosine over real[]); other dimensions are skipped. */
  override async searchEmbeddings(storyId: string, vector: Float32Array, limit: number): Promise<SearchHit[]> {
    if (vector.length === 0 || limit <= 0) return [];
    const sim = this.pgvector ? '1 - (vector::vector <=> $2::real[]::vector)' : 'luna_cosine(vector, $2::real[])';
    const rows = await this.c.db.read((q) =>
      q.all<Row>(`SELECT turn_id, sim FROM (SELECT turn_id, ${sim} AS sim FROM embeddings WHERE story_id = $1 AND dim = $3) e
                  WHERE sim IS NOT NULL AND sim = sim ORDER BY sim DESC, turn_id LIMIT $4`, [storyId, Array.from(vector), vector.length, Math.floor(limit)]),
    'searching embeddings');
    return rows.map((r) => ({ turnId: r.turn_id as string, score: Number(r.sim) }));
  }
}
