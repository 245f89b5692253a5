import { toFtsQuery } from '../fts-query.js';
import type { SearchHit } from '../contract/records.js';
import { SqlMemory } from '../sql/memory.js';
import type { Row } from '../sql/executor.js';

/** SQLite's own search: FTS5 with BM25 and sqlite-vec cosine distance. */
export class SqliteMemory extends SqlMemory {
  /** BM25 over action+prose; bm25() is "lower is better", so the score is its negation (higher is better). */
  override async searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]> {
    const fts = toFtsQuery(query);
    if (!fts || limit <= 0) return [];
    // The story filter runs inside the index (story_id is an FTS column, weight 0 so it does not rank).
    // Ranked and cut inside the index first, so only the kept rows are joined to turns (a common word can match thousands).
    const rows = await this.c.db.all<Row>(`SELECT t.id AS turn_id, f.rank FROM
                                             (SELECT rowid, bm25(turns_fts, 0.0, 1.0, 1.0) AS rank FROM turns_fts
                                              WHERE turns_fts MATCH ? ORDER BY rank LIMIT ?) f
                                           JOIN turns t ON t.seq = f.rowid ORDER BY f.rank`,
    [`story_id:"${storyId.replaceAll('"', '""')}" AND (${fts})`, Math.floor(limit)]);
    return rows.map((r) => ({ turnId: r.turn_id as string, score: -Number(r.rank) }));
  }

  /** Cosine similarity via sqlite-vec; vectors of another dimension (an older embedding model) are skipped. */
  override async searchEmbeddings(storyId: string, vector: Float32Array, limit: number): Promise<SearchHit[]> {
    if (vector.length === 0 || limit <= 0) return [];
    const rows = await this.c.db.all<Row>(`SELECT turn_id, vec_distance_cosine(vector, ?) AS d FROM embeddings
                                           WHERE story_id = ? AND dim = ? ORDER BY d, turn_id LIMIT ?`,
    [this.c.d.vector(vector), storyId, vector.length, Math.floor(limit)]);
    return rows.filter((r) => r.d !== null && Number.isFinite(Number(r.d))).map((r) => ({ turnId: r.turn_id as string, score: 1 - Number(r.d) }));
  }
}
