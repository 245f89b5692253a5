import type { Entity, Fact, LoreEntry, Store, StoryMemory, Turn } from './types.js';

/**
 * Memoises branch walks. A turn's parent never changes, so the ancestors of a turn are fixed for life:
 * once the branch of a head is known, the branch of its child is one step more. This turns the per-turn
 * cost of `getBranchIds`/`historySize` on a 10,000-turn story from a 10,000-step recursive walk into a
 * lookup, for every front end that keeps a store open (the TUI, `luna dream`, a server).
 */
const MAX_HEADS = 64;

export function withBranchCache(store: Store): Store {
  const ids = new Map<string, string[]>();
  const sizes = new Map<string, { turns: number; chars: number }>();
  /** Per story, the entities and facts its last memory read returned: a hint (memoryHint), checked by whoever uses it. */
  const hints = new Map<string, { entities: Entity[]; facts: Fact[] }>();
  const lore = new Map<string, { rev: number; entries: LoreEntry[]; chars: number }>();
  const remember = <V>(map: Map<string, V>, key: string, value: V) => {
    map.delete(key);
    map.set(key, value);
    if (map.size > MAX_HEADS) map.delete(map.keys().next().value as string);
  };

  const branchIds = async (storyId: string, head: string | null): Promise<string[]> => {
    if (head === null) return [];
    // Shared and frozen rather than copied: callers only read it, and one instance per head lets
    // them memoise derived sets (see branchSet in src/pipeline/memory.ts).
    const hit = ids.get(head);
    if (hit) return hit;
    const turn = await store.getTurn(head);
    const parentIds = turn?.parentId ? ids.get(turn.parentId) : turn && turn.parentId === null ? [] : undefined;
    const list = Object.freeze(parentIds && turn ? [...parentIds, turn.id] : await store.getBranchIds(storyId, head)) as string[];
    remember(ids, head, list);
    return list;
  };

  /** The head's branch size when the cache knows it or its parent's (one turn more); undefined: the store must walk. */
  const knownSize = async (head: string): Promise<{ turns: number; chars: number } | undefined> => {
    const hit = sizes.get(head);
    if (hit) return hit;
    const turn: Turn | null = await store.getTurn(head);
    const parent = turn?.parentId ? sizes.get(turn.parentId) : undefined;
    if (!turn || !parent) return undefined;
    const size = { turns: parent.turns + 1, chars: parent.chars + turn.action.length + turn.prose.length };
    remember(sizes, head, size);
    return size;
  };

  const historySize = async (storyId: string, head: string | null) => {
    if (head === null) return store.historySize(storyId, head);
    // The store sums lore in SQL (head null measures no turns): reading every entry cost ~10 ms at 1,000 entries.
    const known = await knownSize(head);
    if (known) return { ...known, loreChars: (await store.historySize(storyId, null)).loreChars };
    const full = await store.historySize(storyId, head);
    remember(sizes, head, { turns: full.turns, chars: full.chars });
    return full;
  };

  // With the branch size from the cache, the store reads only the story's memory (no walk of a new head's branch).
  const readMemory = async (storyId: string, head: string | null) => {
    const known = head === null ? undefined : await knownSize(head);
    if (head === null || known) {
      const memory = await withLore(storyId, null);
      return known ? { ...memory, size: { ...known, loreChars: memory.size.loreChars } } : memory;
    }
    const memory = await withLore(storyId, head);
    remember(sizes, head, { turns: memory.size.turns, chars: memory.size.chars });
    return memory;
  };
  // The lore of the revision last read, shared (callers only read it): the store sends it again only when the
  // story's lore revision moved on (any write, by any process).
  const withLore = async (storyId: string, head: string | null): Promise<StoryMemory> => {
    const held = lore.get(storyId);
    const memory = await store.storyMemory(storyId, head, held ? { knownLoreRev: held.rev } : {});
    if (memory.loreUnchanged && held) {
      const { loreUnchanged: _, ...rest } = memory;
      return { ...rest, lore: held.entries, size: { ...memory.size, loreChars: held.chars } };
    }
    remember(lore, storyId, { rev: memory.loreRev, entries: memory.lore, chars: memory.size.loreChars });
    return memory;
  };
  const storyMemory = async (storyId: string, head: string | null) => {
    const memory = await readMemory(storyId, head);
    remember(hints, storyId, { entities: memory.entities, facts: memory.facts });
    return memory;
  };

  // The last turns of a known branch are a read by id, not a walk up its lines.
  const getBranch = async (storyId: string, head: string | null, opts?: { limit?: number }) => {
    const known = head === null || opts?.limit === undefined ? undefined : ids.get(head);
    if (!known) return store.getBranch(storyId, head, opts);
    const n = Math.max(0, Math.floor(opts!.limit!));
    return n === 0 ? [] : store.getTurns(storyId, known.slice(-n));
  };

  return new Proxy(store, {
    get(target, prop, receiver) {
      if (prop === 'getBranchIds') return branchIds;
      if (prop === 'historySize') return historySize;
      if (prop === 'storyMemory') return storyMemory;
      if (prop === 'getBranch') return getBranch;
      if (prop === 'memoryHint') return (storyId: string) => hints.get(storyId);
      if (prop === 'deleteStory') {
        return async (id: string) => {
          ids.clear();
          sizes.clear();
          hints.delete(id);
          lore.delete(id);
          return target.deleteStory(id);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
