import { NotFoundError, UsageError } from '../../errors.js';
import { newLoreSchema } from '../../lore/schema.js';
import { LORE_LOGICS, LORE_POSITIONS, type LoreEntry, type NewLore, type Store } from '../../store/types.js';

/** The rule flags `lore add` and `lore edit` share; commander leaves a flag undefined when it is not given. */
export interface LoreFlags {
  title?: string;
  body?: string;
  keys?: string;
  secondary?: string;
  logic?: string;
  constant?: boolean;
  caseSensitive?: boolean;
  wholeWords?: boolean;
  order?: string;
  priority?: string;
  position?: string;
  probability?: string;
  excludeRecursion?: boolean;
  preventRecursion?: boolean;
  enabled?: boolean;
  comment?: string;
}

/** Flags → the fields they set, checked by the one lore schema the importers use too. */
export function loreFromFlags(f: LoreFlags, base?: LoreEntry): Partial<NewLore> {
  const out: Partial<NewLore> = {};
  const list = (s: string) => s.split(',').map((k) => k.trim()).filter(Boolean);
  const int = (flag: string, v: string) => {
    if (!/^\s*-?\d+\s*$/.test(v)) throw new UsageError(`${flag} expects a whole number, found "${v}"`);
    return Number(v);
  };
  if (f.title !== undefined) out.title = f.title;
  if (f.body !== undefined) out.body = f.body;
  if (f.keys !== undefined) out.keywords = list(f.keys);
  if (f.secondary !== undefined) out.secondaryKeys = list(f.secondary);
  if (f.logic !== undefined) {
    if (!LORE_LOGICS.includes(f.logic as never)) throw new UsageError(`--logic must be one of ${LORE_LOGICS.join(', ')}, found "${f.logic}"`);
    out.logic = f.logic as NewLore['logic'];
  }
  if (f.position !== undefined) {
    if (!LORE_POSITIONS.includes(f.position as never)) throw new UsageError(`--position must be one of ${LORE_POSITIONS.join(', ')}, found "${f.position}"`);
    out.position = f.position as NewLore['position'];
  }
  if (f.order !== undefined) out.order = int('--order', f.order);
  if (f.priority !== undefined) out.priority = int('--priority', f.priority);
  if (f.probability !== undefined) out.probability = int('--probability', f.probability);
  for (const k of ['constant', 'caseSensitive', 'wholeWords', 'excludeRecursion', 'preventRecursion', 'enabled'] as const) if (f[k] !== undefined) out[k] = f[k];
  if (f.comment !== undefined) out.comment = f.comment;
  const merged = { ...(base ? stripIds(base) : {}), ...out };
  const r = newLoreSchema.safeParse(merged);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const field = String(i.path[0] ?? 'entry');
    throw new UsageError(`${FLAG_OF[field] ?? field}: ${i.message}`, { hint: 'docs/lore.md describes every rule' });
  }
  return out;
}

const FLAG_OF: Record<string, string> = {
  title: '--title', body: '--body', keywords: '--keys', secondaryKeys: '--secondary', order: '--order', priority: '--priority', probability: '--probability', comment: '--comment',
};

function stripIds(l: LoreEntry): NewLore {
  const { id: _id, storyId: _s, ...rest } = l;
  return rest;
}

/** A lore entry of the story by id or unique id prefix (what `lore list` shows). */
export async function findLore(store: Store, storyId: string, ref: string): Promise<LoreEntry> {
  if (!ref.trim()) throw new UsageError('the lore entry id is empty', { hint: `luna lore list --story ${storyId} shows the ids` });
  const all = await store.listLore(storyId);
  const exact = all.find((l) => l.id === ref);
  if (exact) return exact;
  const matches = all.filter((l) => l.id.startsWith(ref.toLowerCase()));
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) throw new UsageError(`lore id "${ref}" matches ${matches.length} entries`, { hint: 'type more characters of the id' });
  throw new NotFoundError(`no lore entry "${ref}" in story ${storyId}`, { hint: `luna lore list --story ${storyId} shows the ids` });
}

/** One short cell of an entry's rules for `lore list`. */
export function ruleSummary(l: LoreEntry): string {
  const parts: string[] = [];
  if (!l.enabled) parts.push('off');
  if (l.constant) parts.push('constant');
  if (l.secondaryKeys.length) parts.push(`${l.logic} ${l.secondaryKeys.join(', ')}`);
  if (l.probability < 100) parts.push(`${l.probability}%`);
  if (l.caseSensitive) parts.push('case');
  if (!l.wholeWords) parts.push('partial');
  if (l.position !== 'before') parts.push(l.position);
  if (l.excludeRecursion) parts.push('no-recurse-in');
  if (l.preventRecursion) parts.push('no-recurse-out');
  return parts.join('; ');
}
