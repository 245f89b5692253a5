import { NotFoundError } from '../../errors.js';
import { searchTerms } from '../fts-query.js';
import { nowIso } from '../ids.js';
import type { SearchHit } from '../types.js';
import type { PgDb } from './connection.js';

/**
 * Full-text search over the generated tsvector (GIN-indexed). The query is an OR of the sanitized,
 * stopword-free terms (the same terms SQLite's FTS5 query uses), each stemmed by plainto_tsquery, so no
 * user text can form tsquery syntax. Ranked by ts_rank_cd (cover density; no IDF, unlike BM25).
 */
const SEARCH_SQL = `
  WITH terms AS (SELECT plainto_tsquery('english', w) AS tq FROM unnest($2::text[]) AS w),
       q AS (SELECT to_tsquery('simple', string_agg('(' || tq::text || ')', ' | ')) AS tq FROM terms WHERE numnode(tq) > 0)
  SELECT t.id AS turn_id, ts_rank_cd(t.tsv, q.tq, 1) AS rank
  FROM turns t, q
  WHERE t.story_id = $1 AND t.tsv @@ q.tq
  ORDER BY rank DESC, t.seq DESC
  LIMIT $3`;

export class PgSearch {
  /** Set at open when the pgvector extension is installed: similarity then uses its `<=>` operator. */
  constructor(private readonly db: PgDb, private readonly pgvector: boolean) {}

  async searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]> {
    const terms = searchTerms(query);
    if (!terms.length || limit <= 0) return [];
    const rows = await this.db.read((q) => q.rows(SEARCH_SQL, [storyId, terms, Math.floor(limit)]), 'searching turns');
    return rows.map((r) => ({ turnId: r.turn_id as string, score: Number(r.rank) }));
  }

  putEmbedding(turnId: string, storyId: string, vector: Float32Array): Promise<void> {
    return this.db.tx(async (q) => {
      const t = await q.one('SELECT account_id FROM turns WHERE id = $1 AND story_id = $2', [turnId, storyId]);
      if (!t) throw new NotFoundError(`turn ${turnId} not found in story ${storyId}`);
      await q.run(`INSERT INTO embeddings (turn_id, account_id, story_id, dim, vector, created_at) VALUES ($1, $2, $3, $4, $5::real[], $6)
                   ON CONFLICT (turn_id) DO UPDATE SET dim = excluded.dim, vector = excluded.vector, created_at = excluded.created_at`,
      [turnId, t.account_id, storyId, vector.length, Array.from(vector), nowIso()]);
    }, 'storing embedding');
  }

  /** Cosine similarity in SQL (pgvector's operator when installed, else luna_cosine over real[]); other dimensions are skipped. */
  async searchEmbeddings(storyId: string, vector: Float32Array, limit: number): Promise<SearchHit[]> {
    if (vector.length === 0 || limit <= 0) return [];
    const sim = this.pgvector ? '1 - (vector::vector <=> $2::real[]::vector)' : 'luna_cosine(vector, $2::real[])';
    const rows = await this.db.read((q) =>
      q.rows(`SELECT turn_id, sim FROM (SELECT turn_id, ${sim} AS sim FROM embeddings WHERE story_id = $1 AND dim = $3) e
              WHERE sim IS NOT NULL AND sim = sim ORDER BY sim DESC, turn_id LIMIT $4`, [storyId, Array.from(vector), vector.length, Math.floor(limit)]), 'searching embeddings');
    return rows.map((r) => ({ turnId: r.turn_id as string, score: Number(r.sim) }));
  }

  async historySize(storyId: string, headTurnId: string | null): Promise<{ turns: number; chars: number; loreChars: number }> {
    return this.db.read(async (q) => {
      let turns = 0;
      let chars = 0;
      if (headTurnId !== null) {
        const r = await q.one('SELECT depth AS n, branch_chars AS chars FROM turns WHERE id = $1 AND story_id = $2', [headTurnId, storyId]);
        turns = Number(r?.n ?? 0);
        chars = Number(r?.chars ?? 0);
      }
      const l = await q.one('SELECT coalesce(sum(length(title) + length(body)), 0) AS n FROM lore WHERE story_id = $1', [storyId]);
      return { turns, chars, loreChars: Number(l?.n ?? 0) };
    }, 'measuring history');
  }

  saveImagePrompt(turnId: string, prompt: string): Promise<void> {
    return this.db.tx(async (q) => {
      const t = await q.one('SELECT account_id FROM turns WHERE id = $1', [turnId]);
      if (!t) throw new NotFoundError(`turn ${turnId} not found`);
      await q.run(`INSERT INTO image_prompts (turn_id, account_id, prompt, created_at) VALUES ($1, $2, $3, $4)
                   ON CONFLICT (turn_id) DO UPDATE SET prompt = excluded.prompt, created_at = excluded.created_at`, [turnId, t.account_id, prompt, nowIso()]);
    }, 'saving image prompt');
  }

  async getImagePrompts(turnIds: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    if (!turnIds.length) return out;
    const rows = await this.db.read((q) => q.rows('SELECT turn_id, prompt FROM image_prompts WHERE turn_id = ANY($1::text[])', [turnIds]));
    for (const r of rows) out[r.turn_id as string] = r.prompt as string;
    return out;
  }
}
