import { plural } from '../util/plural.js';
import { UsageError } from '../errors.js';
import type { StoryBundle } from './types.js';

/** Rejects a bundle whose branch points or fact turns fall outside its main line, before any write. */
export function validateBundle(b: StoryBundle): void {
  const n = b.turns.length;
  (b.branches ?? []).forEach((br, i) => {
    if (!Number.isInteger(br.from) || br.from < 0 || br.from > n) {
      throw new UsageError(`bundle branch ${i + 1}: "from" must be between 0 and ${n} (the main line's length), found ${br.from}`);
    }
  });
  for (const e of b.entities ?? []) {
    for (const f of e.facts ?? []) {
      if (f.turn !== undefined && (!Number.isInteger(f.turn) || f.turn < 0 || f.turn > n)) {
        throw new UsageError(`bundle entity "${e.name}": fact "${f.key}" names turn ${f.turn}, but the main line has ${plural(n, 'turn')}`);
      }
    }
  }
}
