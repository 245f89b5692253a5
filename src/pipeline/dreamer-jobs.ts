import type { LunaConfig } from '../config/schema.js';
import type { JobKind } from '../store/types.js';

/** Which Dreamer jobs a committed turn queues. Kept apart so `luna turn`, imports and tests agree. */
export function dreamerJobsFor(config: LunaConfig, turn: { depth: number; hasEntityChanges: boolean }): { kind: JobKind; payload?: Record<string, unknown> }[] {
  const d = config.agents.dreamer;
  const jobs: { kind: JobKind; payload?: Record<string, unknown> }[] = [];
  if (config.agents.preprocessor.embeddingModel) jobs.push({ kind: 'embed-turn' });
  if (d.extractFacts) jobs.push({ kind: 'extract-facts' });
  if (turn.hasEntityChanges) jobs.push({ kind: 'entity-sheet' });
  if (turn.depth % d.arcEvery === 0) jobs.push({ kind: 'arc-summary', payload: { fromDepth: turn.depth - d.arcEvery + 1, toDepth: turn.depth } });
  if (turn.depth % (d.arcEvery * 5) === 0) jobs.push({ kind: 'story-summary' });
  if (d.imagePrompts) jobs.push({ kind: 'image-prompt' });
  return jobs;
}
