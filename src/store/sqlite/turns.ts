import { BusyError, NotFoundError } from '../../errors.js';
import { newId, nowIso, SHORT_ID_LENGTH } from '../ids.js';
import type { Turn, TurnCommit } from '../types.js';
import { writeTx, type Db } from './connection.js';
import { insertJobs } from './jobs.js';
import { insertLedgerRows } from './ledger.js';
import { checkTurnLimits } from './limits.js';
import { upsertEntitiesIn } from './memory.js';
import { toTurn } from './rows.js';
import { findByIdOrPrefix } from './stories.js';

type Row = Record<string, unknown>;

/** Walks parent links from the head to the root; `max` bounds the walk when only the last N turns are wanted. */
const BRANCH_CTE = `WITH RECURSIVE branch(seq, parent_id, n) AS (
    SELECT seq, parent_id, 1 FROM turns WHERE id = ? AND story_id = ?
    UNION ALL
    SELECT t.seq, t.parent_id, b.n + 1 FROM turns t JOIN branch b ON t.id = b.parent_id WHERE b.n < ?
  )`;

export class SqliteTurns {
  constructor(private readonly db: Db) {}

  getTurn(id: string): Turn | null {
    const r = findByIdOrPrefix(this.db, 'turns', id, 'turn');
    return r ? toTurn(r) : null;
  }

  getBranch(storyId: string, headTurnId: string | null, opts: { limit?: number } = {}): Turn[] {
    if (headTurnId === null) return [];
    const max = opts.limit !== undefined ? Math.max(0, Math.floor(opts.limit)) : Number.MAX_SAFE_INTEGER;
    if (max === 0) return [];
    const rows = this.db
      .prepare(`${BRANCH_CTE} SELECT t.* FROM branch b JOIN turns t ON t.seq = b.seq ORDER BY t.depth`)
      .all(headTurnId, storyId, max) as Row[];
    return rows.map(toTurn);
  }

  getBranchIds(storyId: string, headTurnId: string | null): string[] {
    if (headTurnId === null) return [];
    return this.db
      .prepare(`${BRANCH_CTE} SELECT t.id FROM branch b JOIN turns t ON t.seq = b.seq ORDER BY t.depth`)
      .pluck()
      .all(headTurnId, storyId, Number.MAX_SAFE_INTEGER) as string[];
  }

  getChildren(turnId: string | null, storyId: string): Turn[] {
    const rows = turnId === null
      ? this.db.prepare('SELECT * FROM turns WHERE story_id = ? AND parent_id IS NULL ORDER BY seq').all(storyId)
      : this.db.prepare('SELECT * FROM turns WHERE story_id = ? AND parent_id = ? ORDER BY seq').all(storyId, turnId);
    return (rows as Row[]).map(toTurn);
  }

  listLeaves(storyId: string): Turn[] {
    const rows = this.db
      .prepare(`SELECT * FROM turns t WHERE t.story_id = ? AND NOT EXISTS (SELECT 1 FROM turns c WHERE c.parent_id = t.id) ORDER BY t.seq`)
      .all(storyId) as Row[];
    return rows.map(toTurn);
  }

  countTurns(storyId: string): number {
    return Number(this.db.prepare('SELECT count(*) FROM turns WHERE story_id = ?').pluck().get(storyId));
  }

  /** One IMMEDIATE transaction: any throw (busy head, unknown entity, bad parent) leaves nothing behind. */
  commitTurn(c: TurnCommit): Turn {
    return writeTx(this.db, () => {
      const story = this.db.prepare('SELECT account_id, head_turn_id FROM stories WHERE id = ?').get(c.storyId) as Row | undefined;
      if (!story) throw new NotFoundError(`story ${c.storyId} not found`);
      if ((story.head_turn_id ?? null) !== c.expectedHeadId) {
        throw new BusyError('story is busy: it moved on while this turn ran', { hint: 'look at the story again and retry the turn' });
      }
      checkTurnLimits(this.db, story.account_id as string, c);
      let depth = 1;
      if (c.parentId !== null) {
        const parent = this.db.prepare('SELECT depth FROM turns WHERE id = ? AND story_id = ?').get(c.parentId, c.storyId) as Row | undefined;
        if (!parent) throw new NotFoundError(`parent turn ${c.parentId} not found in story ${c.storyId}`);
        depth = Number(parent.depth) + 1;
      }
      const id = newId(SHORT_ID_LENGTH);
      const now = nowIso();
      this.db
        .prepare(`INSERT INTO turns (id, story_id, parent_id, depth, action, prose, plan, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(id, c.storyId, c.parentId, depth, c.action, c.prose, c.plan === null || c.plan === undefined ? null : JSON.stringify(c.plan), now);
      upsertEntitiesIn(this.db, c.storyId, { id, depth }, c.entities, c.facts);
      const accountId = story.account_id as string;
      insertLedgerRows(this.db, c.ledger.map((l) => ({ ...l, accountId, storyId: c.storyId, turnId: id })));
      insertJobs(this.db, c.jobs.map((j) => ({ kind: j.kind, storyId: c.storyId, turnId: id, payload: j.payload })));
      this.db.prepare('UPDATE stories SET head_turn_id = ?, updated_at = ? WHERE id = ?').run(id, now, c.storyId);
      return toTurn(this.db.prepare('SELECT * FROM turns WHERE id = ?').get(id) as Row);
    });
  }
}
