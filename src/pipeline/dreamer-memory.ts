import { changesToWrite, writeToChanges } from '../store/memory-changes.js';
import type { FactOrigin, MemoryChange, MemoryEditStore, MemoryProposal, MemoryStore, NewEntity, NewFact } from '../store/types.js';

/**
 * The one write path for story memory outside a turn's commit: the Dreamer, a player's edit (CLI, API, TUI)
 * and any later fact-extraction job call this, so review mode and provenance apply to every writer alike.
 * With `review` the changes wait as proposals (`luna memory review`); otherwise they are written at once,
 * applying from `turnId` (null: story-level), marked with `origin`.
 */
export type MemoryWriteStore = Pick<MemoryStore, 'upsertEntities'> & Pick<MemoryEditStore, 'addProposals'>;

export interface MemoryWriteOptions {
  review: boolean;
  origin: FactOrigin;
  /** The turn the story was at when the change was made (default: turnId). */
  sourceTurnId?: string | null;
}

export interface MemoryWriteResult {
  /** Changes written now (0 in review mode). */
  written: number;
  /** Proposals queued (review mode). */
  proposals: MemoryProposal[];
}

export async function writeDreamerMemory(
  store: MemoryWriteStore, storyId: string, turnId: string | null, changes: MemoryChange[], opts: MemoryWriteOptions,
): Promise<MemoryWriteResult> {
  if (!changes.length) return { written: 0, proposals: [] };
  if (opts.review) return { written: 0, proposals: await store.addProposals(storyId, turnId, opts.origin, changes) };
  const w = changesToWrite(changes);
  await store.upsertEntities(storyId, turnId, w.entities, w.facts, { origin: opts.origin, sourceTurnId: opts.sourceTurnId === undefined ? turnId : opts.sourceTurnId });
  return { written: changes.length, proposals: [] };
}

/**
 * What a turn's commit carries for its plan's memory changes: written with the turn, or (review mode) queued
 * as proposals in the same transaction, so a turn never lands without them or them without the turn.
 */
export function turnMemory(entities: NewEntity[], facts: NewFact[], review: boolean): { entities: NewEntity[]; facts: NewFact[]; proposals?: MemoryChange[] } {
  if (!review) return { entities, facts };
  const proposals = writeToChanges(entities, facts);
  return { entities: [], facts: [], ...(proposals.length ? { proposals } : {}) };
}
