import { NotFoundError } from '../../errors.js';
import { toFtsQuery } from '../fts-query.js';
import { nowIso } from '../ids.js';
import type { SearchHit } from '../types.js';
import { writeTx, type Db } from './connection.js';

type Row = Record<string, unknown>;

export class SqliteSearch {
  constructor(private readonly db: Db) {}

  /** BM25 over action+prose; bm25() is "lower is better", so the score is its negation (higher is better). */
  searchTurns(storyId: string, query: string, limit: number): SearchHit[] {
    const fts = toFtsQuery(query);
    if (!fts || limit <= 0) return [];
    const rows = this.db
      // The story filter runs inside the index (story_id is an FTS column, weight 0 so it does not rank).
      .prepare(`SELECT t.id AS turn_id, bm25(turns_fts, 0.0, 1.0, 1.0) AS rank
                FROM turns_fts JOIN turns t ON t.seq = turns_fts.rowid
                WHERE turns_fts MATCH ?
                ORDER BY rank LIMIT ?`)
      .all(`story_id:"${storyId.replaceAll('"', '""')}" AND (${fts})`, Math.floor(limit)) as Row[];
    return rows.map((r) => ({ turnId: r.turn_id as string, score: -Number(r.rank) }));
  }

  putEmbedding(turnId: string, storyId: string, vector: Float32Array): void {
    writeTx(this.db, () => {
      if (!this.db.prepare('SELECT 1 FROM turns WHERE id = ? AND story_id = ?').get(turnId, storyId)) {
        throw new NotFoundError(`turn ${turnId} not found in story ${storyId}`);
      }
      this.db
        .prepare(`INSERT INTO embeddings (turn_id, story_id, dim, vector, created_at) VALUES (?, ?, ?, ?, ?)
                  ON CONFLICT(turn_id) DO UPDATE SET dim = excluded.dim, vector = excluded.vector, created_at = excluded.created_at`)
        .run(turnId, storyId, vector.length, blob(vector), nowIso());
    });
  }

  /** Cosine similarity via sqlite-vec; vectors of another dimension (an older embedding model) are skipped. */
  searchEmbeddings(storyId: string, vector: Float32Array, limit: number): SearchHit[] {
    if (vector.length === 0 || limit <= 0) return [];
    const rows = this.db
      .prepare(`SELECT turn_id, vec_distance_cosine(vector, ?) AS d FROM embeddings
                WHERE story_id = ? AND dim = ? ORDER BY d, turn_id LIMIT ?`)
      .all(blob(vector), storyId, vector.length, Math.floor(limit)) as Row[];
    return rows.filter((r) => r.d !== null && Number.isFinite(Number(r.d))).map((r) => ({ turnId: r.turn_id as string, score: 1 - Number(r.d) }));
  }

  historySize(storyId: string, headTurnId: string | null): { turns: number; chars: number; loreChars: number } {
    let turns = 0;
    let chars = 0;
    if (headTurnId !== null) {
      const r = this.db
        .prepare(`WITH RECURSIVE branch(seq, parent_id) AS (
                    SELECT seq, parent_id FROM turns WHERE id = ? AND story_id = ?
                    UNION ALL SELECT t.seq, t.parent_id FROM turns t JOIN branch b ON t.id = b.parent_id)
                  SELECT count(*) AS n, total(length(t.action) + length(t.prose)) AS chars FROM branch b JOIN turns t ON t.seq = b.seq`)
        .get(headTurnId, storyId) as Row;
      turns = Number(r.n);
      chars = Number(r.chars);
    }
    const loreChars = Number(this.db.prepare('SELECT total(length(title) + length(body)) FROM lore WHERE story_id = ?').pluck().get(storyId));
    return { turns, chars, loreChars };
  }
}

function blob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}

/** Dreamer image prompts: one per turn, last write wins. */
export class SqliteImagePrompts {
  constructor(private readonly db: Db) {}

  save(turnId: string, prompt: string): void {
    writeTx(this.db, () => {
      if (!this.db.prepare('SELECT 1 FROM turns WHERE id = ?').get(turnId)) throw new NotFoundError(`turn ${turnId} not found`);
      this.db
        .prepare(`INSERT INTO image_prompts (turn_id, prompt, created_at) VALUES (?, ?, ?)
                  ON CONFLICT(turn_id) DO UPDATE SET prompt = excluded.prompt, created_at = excluded.created_at`)
        .run(turnId, prompt, nowIso());
    });
  }

  get(turnIds: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    // json_each keeps this one statement for any number of ids (no 32k-parameter limit).
    const rows = this.db
      .prepare('SELECT turn_id, prompt FROM image_prompts WHERE turn_id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(turnIds)) as Row[];
    for (const r of rows) out[r.turn_id as string] = r.prompt as string;
    return out;
  }
}
