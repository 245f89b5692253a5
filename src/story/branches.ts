import { NotFoundError, UsageError } from '../errors.js';
import type { Store, Story, Turn } from '../store/types.js';
import { checkRef } from './find.js';

export interface BranchInfo {
  leaf: Turn;
}

/** Every branch tip, oldest first, so branch numbers stay stable as new branches appear (TUI /branch, story show). */
export async function listBranches(store: Store, story: Story): Promise<BranchInfo[]> {
  const leaves = await store.listLeaves(story.id);
  return leaves.sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1)).map((leaf) => ({ leaf }));
}

/**
 * A turn of the story named by its id, a unique prefix of it, or its number on the current branch (1–999;
 * `root` = before the first turn: null), for `luna turn --to/--from/--at`. `luna story show` lists every branch's tip id.
 */
export async function findTurn(store: Store, story: Story, ref: string): Promise<Turn | null> {
  checkRef(ref, 'turn');
  if (ref === 'root') return null;
  const direct = await store.getTurn(ref);
  if (direct && direct.storyId === story.id) return direct;
  const hint = `luna story show ${story.id.slice(0, 8)} lists the branches with their turn ids ("root" is the start)`;
  // Too short to be an id prefix, a number is a turn's position on the current branch, as `[N]` in story show.
  if (/^\d{1,3}$/.test(ref)) {
    const ids = story.headTurnId ? await store.getBranchIds(story.id, story.headTurnId) : [];
    const at = ids[Number(ref) - 1];
    if (!at) throw new NotFoundError(`no turn ${ref} on the current branch (it has ${ids.length})`, { hint });
    return store.getTurn(at);
  }
  if (ref.length < 4) throw new UsageError(`turn "${ref}": give at least 4 characters of the turn id`, { hint });
  const ids = new Set<string>();
  for (const leaf of await store.listLeaves(story.id)) {
    for (const id of await store.getBranchIds(story.id, leaf.id)) if (id.startsWith(ref)) ids.add(id);
  }
  if (ids.size > 1) throw new UsageError(`turn "${ref}" matches ${ids.size} turns of this story`, { hint: 'use more characters of the id' });
  const [id] = ids;
  const turn = id ? await store.getTurn(id) : null;
  if (!turn) throw new NotFoundError(`no turn "${ref}" in this story`, { hint });
  return turn;
}
