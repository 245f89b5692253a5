import type { SearchHit } from '../contract/records.js';
import { searchPhrases, searchTerms } from '../fts-query.js';
import type { SqlContext } from '../sql/context.js';
import type { Row } from '../sql/executor.js';
import { SqlMemory } from '../sql/memory.js';

/**
 * Full-text search over the generated tsvector (GIN-indexed). The query is an OR of the sanitized,
 * stopword-free terms and adjacent-word phrases (the same ones SQLite's FTS5 query uses), each stemmed by
 * plainto_tsquery/phraseto_tsquery, so no user text can form tsquery syntax. Ranked by ts_rank_cd (cover density; no IDF, unlike BM25).
 */
const SEARCH_SQL = `
  WITH terms AS (SELECT plainto_tsquery('english', w) AS tq FROM unnest($2::text[]) AS w
                 UNION ALL SELECT phraseto_tsquery('english', p) FROM unnest($4::text[]) AS p),
       q AS (SELECT to_tsquery('simple', string_agg('(' || tq::text || ')', ' | ')) AS tq FROM terms WHERE numnode(tq) > 0)
  SELECT t.id AS turn_id, ts_rank_cd(t.tsv, q.tq, 1) AS rank
  FROM turns t, q
  WHERE t.story_id = $1 AND t.tsv @@ q.tq
  ORDER BY rank DESC, t.seq DESC
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
