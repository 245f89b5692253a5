import { searchPhrases, searchTerms } from '../fts-query.js';
import type { SearchHit } from '../contract/records.js';
import { SqlMemory } from '../sql/memory.js';
import type { Row } from '../sql/executor.js';

/**
 * A term or phrase matching at least this many of a story's turns is common: BM25 over its thousands of
 * matches cost ~1 µs each (a place named in half of a 10,000-turn story: 5-7 ms per search), while it
 * tells the matches apart hardly at all. Counting up to the cap stops early.
 */
export const COMMON_MATCHES = 200;

/** SQLite's own search: FTS5 with BM25 and sqlite-vec cosine distance. */
export class SqliteMemory extends SqlMemory {
  /** Each story's lowest turn seq: turns only get higher ones, so a remembered floor stays a true floor. */
  private readonly floors = new Map<string, number>();

  /**
   * BM25 over action+prose for the rare terms and phrases (bm25() is "lower is better", so the score is its
   * negation); the common ones add their newest matches after those, which needs no scoring. Every word is a
   * quoted term, so no user text can form FTS5 syntax. The story is a rowid range inside the index (from its
   * first turn on) and a join outside it: the story_id column filter walked the story's whole posting list
   * for every term (~0.15 ms each on 10,000 turns) and made BM25 6x slower.
   */
  override async searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]> {
    const terms = searchTerms(query);
    if (!terms.length || limit <= 0) return [];
    const n = Math.floor(limit);
    return this.c.db.read(async (q) => {
      let floor = this.floors.get(storyId);
      if (floor === undefined) {
        const r = await q.get<Row>('SELECT min(seq) AS lo FROM turns WHERE story_id = ?', [storyId]);
        if (r?.lo === null || r?.lo === undefined) return [];
        this.floors.set(storyId, (floor = Number(r.lo)));
        if (this.floors.size > 256) this.floors.delete(this.floors.keys().next().value as string);
      }
      const count = async (expr: string) => Number((await q.get<Row>(
        `SELECT count(*) AS n FROM (SELECT 1 FROM turns_fts WHERE turns_fts MATCH ? AND rowid >= ? LIMIT ${COMMON_MATCHES})`, [expr, floor]))!.n);
      const rare: string[] = [];
      const common: string[] = [];
      const rareWords = new Set<string>();
      for (const t of terms) {
        if ((await count(`"${t}"`)) < COMMON_MATCHES) {
          rare.push(`"${t}"`);
          rareWords.add(t);
        } else common.push(`"${t}"`);
      }
      // A phrase with a rare word is rarer still; two common words can still be a rare phrase ("lantern widow").
      for (const p of searchPhrases(query)) {
        if (p.split(' ').some((w) => rareWords.has(w)) || (await count(`"${p}"`)) < COMMON_MATCHES) rare.push(`"${p}"`);
      }
      // Rare: at most COMMON_MATCHES rows each from the story's range, so all of them can be ranked and joined.
      const hits = rare.length
        ? await q.all<Row>(`SELECT t.id AS turn_id, f.rank FROM
                              (SELECT rowid, bm25(turns_fts, 0.0, 1.0, 1.0) AS rank FROM turns_fts WHERE turns_fts MATCH ? AND rowid >= ?) f
                            JOIN turns t ON t.seq = f.rowid AND t.story_id = ? ORDER BY f.rank LIMIT ?`, [rare.join(' OR '), floor, storyId, n])
        : [];
      const out = hits.map((r) => ({ turnId: r.turn_id as string, score: -Number(r.rank) }));
      if (out.length >= n || !common.length) return out;
      const seen = new Set(out.map((h) => h.turnId));
      const lowest = out.length ? Math.min(...out.map((h) => h.score)) : 0;
      const recent = await q.all<Row>(`SELECT t.id AS turn_id FROM turns_fts f JOIN turns t ON t.seq = f.rowid AND t.story_id = ?
                                       WHERE turns_fts MATCH ? AND f.rowid >= ? ORDER BY f.rowid DESC LIMIT ?`, [storyId, common.join(' OR '), floor, 2 * n]);
      // Below every ranked hit, newest first: a later mention of a common word is the likelier answer.
      for (const r of recent) {
        if (out.length >= n) break;
        if (seen.has(r.turn_id as string)) continue;
        out.push({ turnId: r.turn_id as string, score: lowest - 1 - out.length * 1e-6 });
      }
      return out;
    });
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
