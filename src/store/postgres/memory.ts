import type { SearchHit } from '../contract/records.js';
import { searchTerms } from '../fts-query.js';
import type { SqlContext } from '../sql/context.js';
import type { Row } from '../sql/executor.js';
import { SqlMemory } from '../sql/memory.js';
import { searchTurnsPg } from './search.js';

/** PostgreSQL's own search: tsvector ranking (search.ts), and pgvector (or plain SQL) similarity. */
export class PgMemory extends SqlMemory {
  /** `pgvector` is set at open when the extension is installed: similarity then uses its `<=>` operator. */
  constructor(c: SqlContext, readonly pgvector: boolean) {
    super(c);
  }

  override async searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]> {
    if (!searchTerms(query).length || limit <= 0) return [];
    return this.c.db.read((q) => searchTurnsPg(q, storyId, query, Math.floor(limit)), 'searching turns');
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
