import { BudgetError, BusyError, NotFoundError } from '../../errors.js';
import { newId, nowIso, SHORT_ID_LENGTH, toIso } from '../ids.js';
import type { Turn, TurnCommit, TurnLimit } from '../types.js';
import type { PgDb, Q } from './connection.js';
import { insertJobs } from './jobs.js';
import { insertLedgerRows } from './ledger.js';
import { upsertEntitiesIn } from './memory.js';
import { toTurn } from './rows.js';
import { findByIdOrPrefix, requireStory } from './stories.js';

/** Every turn column except the generated tsvector, which nobody reads back. */
export const TURN_COLS = 'id, story_id, parent_id, depth, action, prose, plan, created_at';
const T_COLS = TURN_COLS.split(', ').map((c) => `t.${c}`).join(', ');

/**
 * The lines (see the turns.line column) a branch runs through, each with the deepest depth it uses:
 * one recursion step per fork, not per turn. Joined to turns on (line, depth ≤ upto) it yields the branch.
 */
export const BRANCH_LINES = `WITH RECURSIVE seg(line, upto) AS (
    SELECT line, depth FROM turns WHERE id = $1 AND story_id = $2
    UNION ALL
    SELECT p.line, p.depth FROM seg JOIN turns f ON f.id = seg.line JOIN turns p ON p.id = f.parent_id
  )`;
const BRANCH_JOIN = 'seg JOIN turns t ON t.line = seg.line AND t.depth <= seg.upto AND t.story_id = $2';

/** A new turn continues its parent's line unless the parent already has a child on it. */
export async function lineFor(q: Q, id: string, parentId: string | null): Promise<string> {
  if (parentId === null) return id;
  const r = await q.one(`SELECT p.line, EXISTS (SELECT 1 FROM turns c WHERE c.parent_id = p.id AND c.line = p.line) AS taken FROM turns p WHERE p.id = $1`, [parentId]);
  return !r || r.taken ? id : (r.line as string);
}

export class PgTurns {
  constructor(private readonly db: PgDb) {}

  private pending: { id: string; resolve: (t: Turn | null) => void; reject: (e: unknown) => void }[] = [];

  /**
   * getTurn calls made in the same tick (the Preprocessor fetches ~50 retrieved turns with Promise.all)
   * are answered by one `id = ANY(…)` query instead of one round trip each; misses fall back to the
   * exact-or-prefix lookup one by one.
   */
  getTurn(id: string): Promise<Turn | null> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ id, resolve, reject }) === 1) queueMicrotask(() => void this.flush());
    });
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    try {
      const rows = await this.db.read((q) => q.rows(`SELECT ${TURN_COLS} FROM turns WHERE id = ANY($1::text[])`, [[...new Set(batch.map((b) => b.id))]]));
      const byId = new Map(rows.map((r) => [r.id as string, toTurn(r)]));
      for (const b of batch) {
        const hit = byId.get(b.id);
        if (hit) b.resolve(hit);
        else this.db.read((q) => findByIdOrPrefix(q, 'turns', b.id, 'turn')).then((r) => b.resolve(r ? toTurn(r) : null), b.reject);
      }
    } catch (err) {
      for (const b of batch) b.reject(err);
    }
  }

  async getBranch(storyId: string, headTurnId: string | null, opts: { limit?: number } = {}): Promise<Turn[]> {
    if (headTurnId === null) return [];
    if (opts.limit !== undefined) {
      const max = Math.max(0, Math.floor(opts.limit));
      if (max === 0) return [];
      const rows = await this.db.read((q) => q.rows(`${BRANCH_LINES} SELECT ${T_COLS} FROM ${BRANCH_JOIN} ORDER BY t.depth DESC LIMIT $3`, [headTurnId, storyId, max]));
      return rows.reverse().map(toTurn);
    }
    const rows = await this.db.read((q) => q.rows(`${BRANCH_LINES} SELECT ${T_COLS} FROM ${BRANCH_JOIN} ORDER BY t.depth`, [headTurnId, storyId]));
    return rows.map(toTurn);
  }

  async getBranchIds(storyId: string, headTurnId: string | null): Promise<string[]> {
    if (headTurnId === null) return [];
    const rows = await this.db.read((q) => q.rows(`${BRANCH_LINES} SELECT t.id FROM ${BRANCH_JOIN} ORDER BY t.depth`, [headTurnId, storyId]));
    return rows.map((r) => r.id as string);
  }

  async getChildren(turnId: string | null, storyId: string): Promise<Turn[]> {
    const rows = await this.db.read((q) => turnId === null
      ? q.rows(`SELECT ${TURN_COLS} FROM turns WHERE story_id = $1 AND parent_id IS NULL ORDER BY seq`, [storyId])
      : q.rows(`SELECT ${TURN_COLS} FROM turns WHERE story_id = $1 AND parent_id = $2 ORDER BY seq`, [storyId, turnId]));
    return rows.map(toTurn);
  }

  async listLeaves(storyId: string): Promise<Turn[]> {
    const rows = await this.db.read((q) =>
      q.rows(`SELECT ${T_COLS} FROM turns t WHERE t.story_id = $1 AND NOT EXISTS (SELECT 1 FROM turns c WHERE c.parent_id = t.id) ORDER BY t.seq`, [storyId]));
    return rows.map(toTurn);
  }

  async countTurns(storyId: string): Promise<number> {
    const r = await this.db.read((q) => q.one('SELECT count(*) AS n FROM turns WHERE story_id = $1', [storyId]));
    return Number(r?.n ?? 0);
  }

  /**
   * One transaction. The story row is locked (FOR UPDATE) before the head check, so two turns racing on a
   * story serialise: the second sees the first's new head and fails with BusyError, writing nothing.
   */
  commitTurn(c: TurnCommit): Promise<Turn> {
    return this.db.tx(async (q) => {
      const story = await requireStory(q, c.storyId, true);
      if ((story.head_turn_id ?? null) !== c.expectedHeadId) {
        throw new BusyError('story is busy: it moved on while this turn ran', { hint: 'look at the story again and retry the turn' });
      }
      const accountId = story.account_id as string;
      if (c.limits?.length) await checkLimits(q, accountId, c.limits, c.ledger.reduce((n, l) => n + (l.costUsd ?? 0), 0));
      let depth = 1;
      let before = 0;
      if (c.parentId !== null) {
        const parent = await q.one('SELECT depth, branch_chars FROM turns WHERE id = $1 AND story_id = $2', [c.parentId, c.storyId]);
        if (!parent) throw new NotFoundError(`parent turn ${c.parentId} not found in story ${c.storyId}`);
        depth = Number(parent.depth) + 1;
        before = Number(parent.branch_chars);
      }
      const id = newId(SHORT_ID_LENGTH);
      const now = nowIso();
      const line = await lineFor(q, id, c.parentId);
      const row = await q.one(`INSERT INTO turns (id, account_id, story_id, parent_id, line, depth, branch_chars, action, prose, plan, created_at)
                               VALUES ($1, $2, $3, $4, $5, $6, $11 + char_length($7) + char_length($8), $7, $8, $9::jsonb, $10) RETURNING ${TURN_COLS}`,
      [id, accountId, c.storyId, c.parentId, line, depth, c.action, c.prose, c.plan === null || c.plan === undefined ? null : JSON.stringify(c.plan), now, before]);
      await upsertEntitiesIn(q, c.storyId, accountId, { id, depth }, c.entities, c.facts);
      await insertLedgerRows(q, c.ledger.map((l) => ({ ...l, accountId, storyId: c.storyId, turnId: id })));
      await insertJobs(q, c.jobs.map((j) => ({ kind: j.kind, storyId: c.storyId, turnId: id, payload: j.payload })));
      await q.run('UPDATE stories SET head_turn_id = $1, updated_at = $2 WHERE id = $3', [id, now, c.storyId]);
      return toTurn(row!);
    }, 'committing turn');
  }
}

/**
 * Hard budget/quota limits, re-checked inside the commit. A transaction-scoped advisory lock per account
 * (and one for global limits, always taken after the account's) makes racing commits for the last unit
 * take turns: the later one counts the earlier one's committed turn and fails with BudgetError.
 * Same measures and messages as sqlite/limits.ts: turns are distinct ledger turn ids in the period.
 */
async function checkLimits(q: Q, accountId: string, limits: TurnLimit[], thisTurnCost: number): Promise<void> {
  const scopes = new Set(limits.map((l) => l.scope));
  if (scopes.has('account')) await q.run(`SELECT pg_advisory_xact_lock(hashtext('luna:limit:' || $1))`, [accountId]);
  if (scopes.has('global')) await q.run(`SELECT pg_advisory_xact_lock(hashtext('luna:limit:*'))`);
  for (const l of limits) {
    const account = l.scope === 'account' ? accountId : null;
    if (l.maxTurns !== null && l.maxTurns !== undefined) {
      const used = Number((await q.one('SELECT luna_turns_since($1, $2) AS n', [toIso(l.since), account]))?.n ?? 0);
      if (used + 1 > l.maxTurns) {
        throw new BudgetError(`turn refused: ${l.label} (${used} played this period)`, {
          hint: l.hint ?? 'the quota resets with the next period; raise it under cost.tiers or change the account tier',
        });
      }
    }
    if (l.maxCostUsd !== null && l.maxCostUsd !== undefined) {
      const spent = Number((await q.one('SELECT luna_cost_since($1, $2) AS usd', [toIso(l.since), account]))?.usd ?? 0);
      if (spent + thisTurnCost > l.maxCostUsd + 1e-12) {
        throw new BudgetError(`turn refused: ${l.label} (this turn would bring the period's spend to $${(spent + thisTurnCost).toFixed(6)})`, {
          hint: l.hint ?? 'the budget resets with the next period; raise its hardUsd under cost.budgets to continue now',
        });
      }
    }
  }
}
