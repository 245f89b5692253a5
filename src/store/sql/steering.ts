import { NotFoundError } from '../../errors.js';
import type { JobKind } from '../contract/ops.js';
import type { EditedTurn, Story } from '../contract/records.js';
import { nowIso } from '../ids.js';
import type { SqlContext } from './context.js';
import { TURN_COLS } from './dialect.js';
import { insertJobs } from './jobs.js';
import { requireStory } from './stories.js';

/** The story's Author's Note ('' clears it). */
export function setAuthorNoteIn(c: SqlContext, storyId: string, note: string): Promise<Story> {
  return c.db.transaction(async (q) => {
    await requireStory(c, q, storyId, true);
    const r = await q.get('UPDATE stories SET author_note = ?, updated_at = ? WHERE id = ? RETURNING *', [note, nowIso(), storyId]);
    return c.rows.toStory(r!);
  }, 'setting the author\'s note');
}

/**
 * Replaces a turn's prose in one transaction. The search index follows by itself (SQLite's FTS trigger on
 * prose, PostgreSQL's generated tsvector). What was derived from the old prose goes: the turn's embedding,
 * its saved image prompt, the facts the Dreamer read from it (origin 'dreamer' at this turn: older values of
 * those keys are current again), the entities it found there that nothing else kept, and its pending
 * proposals; the plan's entities and facts stay, since an edit does not change the plan. `jobs` (a new
 * embedding, fact extraction, image prompt) are queued; the dialect fixes what it keeps per branch.
 */
export function editTurnProseIn(c: SqlContext, storyId: string, turnId: string, prose: string, jobs: { kind: JobKind; payload?: Record<string, unknown> }[]): Promise<EditedTurn> {
  return c.db.transaction(async (q) => {
    const story = await requireStory(c, q, storyId, true);
    const old = await q.get('SELECT id, prose FROM turns WHERE id = ? AND story_id = ?', [turnId, storyId]);
    if (old) await q.run('UPDATE stories SET updated_at = ? WHERE id = ?', [nowIso(), storyId]);
    if (!old) throw new NotFoundError(`turn ${turnId} not found in story ${storyId}`);
    const r = await q.get(`UPDATE turns SET prose = ?, edited_at = ? WHERE id = ? RETURNING ${TURN_COLS}`, [prose, nowIso(), turnId]);
    await c.d.afterProseEdit?.(q, storyId, turnId, [...prose].length - [...(old.prose as string)].length);
    await q.run('DELETE FROM embeddings WHERE turn_id = ?', [turnId]);
    // The saved image prompt described the old prose: the queued image job must write a new one, not reuse it.
    await q.run('DELETE FROM image_prompts WHERE turn_id = ?', [turnId]);
    const factsForgotten = await q.run(`DELETE FROM facts WHERE story_id = ? AND turn_id = ? AND origin = 'dreamer'`, [storyId, turnId]);
    // Entities the Dreamer found in the old prose that nothing else has named, corrected or given a fact: gone
    // with it (the Dreamer's re-read finds them again if the new prose still has them).
    const entitiesForgotten = await q.run(`DELETE FROM entities WHERE story_id = ? AND first_turn_id = ? AND origin = 'dreamer'
      AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.entity_id = entities.id)`, [storyId, turnId]);
    const proposalsDropped = await q.run(`DELETE FROM memory_proposals WHERE story_id = ? AND turn_id = ? AND origin = 'dreamer' AND state = 'pending'`, [storyId, turnId]);
    // A job of the same kind still queued for this turn reads the prose when it runs: a second one would only
    // pay again (two renders of one picture when a turn is edited twice, or before its first jobs ran).
    const queued = new Set((await q.all(`SELECT kind FROM jobs WHERE story_id = ? AND turn_id = ? AND state = 'queued'`, [storyId, turnId])).map((r) => r.kind as string));
    await insertJobs(c, q, jobs.filter((j) => !queued.has(j.kind)).map((j) => ({ kind: j.kind, storyId, turnId, payload: j.payload })), story.account_id as string);
    return { turn: c.rows.toTurn(r!), factsForgotten, entitiesForgotten, proposalsDropped };
  }, 'editing a turn');
}
