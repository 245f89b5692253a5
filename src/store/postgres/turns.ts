import type { Turn } from '../contract/records.js';
import { TURN_COLS } from '../sql/dialect.js';
import { findByIdOrPrefix } from '../sql/stories.js';
import { SqlTurns } from '../sql/turns.js';
import type { SqlContext } from '../sql/context.js';
import type { Row } from '../sql/executor.js';
import type { PgDb } from './connection.js';

/** The turn tree, with getTurn calls batched: a network round trip costs more than the query. */
export class PgTurns extends SqlTurns {
  constructor(c: SqlContext, private readonly pg: PgDb) {
    super(c);
  }

  private pending: { id: string; resolve: (t: Turn | null) => void; reject: (e: unknown) => void }[] = [];

  /**
   * getTurn calls made in the same tick (the Preprocessor fetches ~50 retrieved turns with Promise.all)
   * are answered by one `id = ANY(…)` query instead of one round trip each; misses fall back to the
   * exact-or-prefix lookup one by one.
   */
  /**
   * An account's read of turns by id (the recent turns, on every turn played) runs on the owner's connection
   * with its own account condition, as the search does (PgDb.asOwner): one round trip instead of three.
   */
  override async getTurns(storyId: string, ids: readonly string[]): Promise<Turn[]> {
    const scope = this.pg.scope;
    if (scope === null) return super.getTurns(storyId, ids);
    const unique = [...new Set(ids)];
    if (!unique.length) return [];
    const rows = await this.pg.asOwner((q) => q.all<Row>(`SELECT ${TURN_COLS} FROM turns WHERE id = ANY($1::text[]) AND story_id = $2 AND account_id = $3`, [unique, storyId, scope]), 'reading turns');
    const byId = new Map(rows.map((r) => [r.id as string, this.c.rows.toTurn(r)]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }

  override getTurn(id: string): Promise<Turn | null> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ id, resolve, reject }) === 1) queueMicrotask(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const rows = await this.c.db.all(`SELECT ${TURN_COLS} FROM turns WHERE id = ANY($1::text[])`, [[...new Set(batch.map((b) => b.id))]]);
      const byId = new Map(rows.map((r) => [r.id as string, this.c.rows.toTurn(r)]));
      for (const b of batch) {
        const hit = byId.get(b.id);
        if (hit) b.resolve(hit);
        else this.c.db.read((q) => findByIdOrPrefix(q, 'turns', b.id, 'turn')).then((r) => b.resolve(r ? this.c.rows.toTurn(r) : null), b.reject);
      }
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }
}
