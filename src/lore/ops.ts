import { UsageError } from '../errors.js';
import type { LoreEntry, LoreStore, MemoryStore, NewLore } from '../store/types.js';
import { parseLorebook, type LorebookImport } from './import.js';
import { newLoreSchema } from './schema.js';

/** Lore edits every front end shares (CLI, API, TUI): the one schema, and one name per entry in a story. */
type Stores = Pick<MemoryStore, 'listLore'> & Pick<LoreStore, 'updateLore' | 'deleteLore' | 'importLore'>;

function checked(entry: unknown, label: (field: string) => string): NewLore {
  const r = newLoreSchema.safeParse(entry);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UsageError(`${label(String(i.path[0] ?? 'entry'))}: ${i.message}${i.path.length > 1 ? ` (at ${i.path.join('.')})` : ''}`, { hint: 'docs/lore.md describes every field' });
  }
  return r.data;
}

async function assertFreeTitle(store: Stores, storyId: string, title: string, except?: string): Promise<void> {
  const clash = (await store.listLore(storyId)).find((l) => l.id !== except && l.title.toLowerCase() === title.toLowerCase());
  if (clash) throw new UsageError(`story ${storyId} already has a lore entry "${clash.title}" (${clash.id.slice(0, 8)})`, { hint: 'pick another title, or edit that entry' });
}

export async function addLoreEntry(store: Stores, storyId: string, input: unknown, label: (field: string) => string = (f) => f): Promise<LoreEntry> {
  const entry = checked(input, label);
  return (await store.importLore(storyId, [{ ...entry, title: entry.title.trim() }], { uniqueTitles: true }))[0]!;
}

export async function editLoreEntry(store: Stores, storyId: string, current: LoreEntry, patch: Partial<NewLore>, label: (field: string) => string = (f) => f): Promise<LoreEntry> {
  if (!Object.keys(patch).length) throw new UsageError('nothing to change', { hint: 'name at least one field to change' });
  const { id: _id, storyId: _s, ...base } = current;
  checked({ ...base, ...patch }, label);
  const out = { ...patch };
  if (out.title !== undefined) {
    out.title = out.title.trim();
    await assertFreeTitle(store, storyId, out.title, current.id);
  }
  return store.updateLore(storyId, current.id, out);
}

/** Parses a lorebook in any format LUNA reads and writes it in one transaction; returns what was read and written. */
export async function importLorebook(
  store: Stores, storyId: string, raw: unknown, label: string, opts: { replace?: boolean; allowDuplicates?: boolean; dryRun?: boolean } = {},
): Promise<{ book: LorebookImport; written: LoreEntry[] }> {
  const existing = opts.replace ? [] : (await store.listLore(storyId)).map((l) => l.title);
  const book = parseLorebook(raw, label, { existingTitles: existing, allowDuplicates: opts.allowDuplicates });
  const written = opts.dryRun ? [] : await store.importLore(storyId, book.entries, { replace: opts.replace, uniqueTitles: !opts.allowDuplicates });
  return { book, written };
}
