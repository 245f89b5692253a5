import { NotFoundError } from '../../errors.js';
import type { Turn, TurnCommit } from '../contract/records.js';
import { newId, nowIso, SHORT_ID_LENGTH } from '../ids.js';
import type { SqlContext } from './context.js';
import { TURN_COLS } from './dialect.js';
import { insertJobs } from './jobs.js';
import { insertLedgerRows } from './ledger.js';
import { checkTurnLimits } from './limits.js';
import { upsertEntitiesIn } from './memory.js';
import { insertProposalsIn } from './memory-edit.js';
import { busyError, requireStory } from './stories.js';

/**
 * One transaction: any throw (busy head, a limit reached, unknown entity, bad parent) leaves nothing behind.
 * The story row is locked before the head check (SQLite's BEGIN IMMEDIATE locks the whole database; PostgreSQL
 * locks the row FOR UPDATE), so two turns racing on a story serialise: the second sees the first's new head
 * and fails with BusyError.
 */
export function commitTurnIn(c: SqlContext, t: TurnCommit): Promise<Turn> {
  return c.db.transaction(async (q) => {
    const story = await requireStory(c, q, t.storyId, true);
    if ((story.head_turn_id ?? null) !== t.expectedHeadId) throw busyError('look at the story again and retry the turn');
    const accountId = story.account_id as string;
    await checkTurnLimits(c, q, accountId, t);
    let depth = 1;
    if (t.parentId !== null) {
      const parent = await q.get('SELECT depth FROM turns WHERE id = ? AND story_id = ?', [t.parentId, t.storyId]);
      if (!parent) throw new NotFoundError(`parent turn ${t.parentId} not found in story ${t.storyId}`);
      depth = Number(parent.depth) + 1;
    }
    const id = newId(SHORT_ID_LENGTH);
    const now = nowIso();
    const row = await c.d.insertTurn(q, {
      id, accountId, storyId: t.storyId, parentId: t.parentId, depth, action: t.action, prose: t.prose,
      plan: t.plan === null || t.plan === undefined ? null : JSON.stringify(t.plan), createdAt: now,
    });
    let turn = c.rows.toTurn(row);
    if (t.note || t.ooc || t.continued) {
      // Written beside the insert rather than in each dialect's INSERT: most turns carry no steering.
      const steered = await q.get(`UPDATE turns SET note = ?, ooc = ?, continued = ? WHERE id = ? RETURNING ${TURN_COLS}`, [t.note ?? '', t.ooc ?? '', t.continued ? 1 : 0, id]);
      turn = c.rows.toTurn(steered!);
    }
    await upsertEntitiesIn(c, q, t.storyId, accountId, { id, depth }, t.entities, t.facts);
    if (t.proposals?.length) await insertProposalsIn(c, q, t.storyId, accountId, id, 'plan', t.proposals);
    await insertLedgerRows(c, q, t.ledger.map((l) => ({ ...l, accountId, storyId: t.storyId, turnId: id })));
    await insertJobs(c, q, t.jobs.map((j) => ({ kind: j.kind, storyId: t.storyId, turnId: id, payload: j.payload })), accountId);
    await q.run('UPDATE stories SET head_turn_id = ?, updated_at = ? WHERE id = ?', [id, now, t.storyId]);
    return turn;
  }, 'committing turn');
}
