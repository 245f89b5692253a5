import { NotFoundError, UsageError } from '../../errors.js';
import { LORE_DEFAULTS, type LoreEntry, type NewLore, type StoryBundle, type StoryCard } from '../contract/records.js';
import type { LoreStore } from '../contract/roles.js';
import { newId, nowIso } from '../ids.js';
import type { SqlContext } from './context.js';
import { tenant } from './dialect.js';
import type { Columns, Executor } from './executor.js';
import { requireStory } from './stories.js';

/** Lore columns in insert order, after id (and account_id where the dialect keeps it on every row). */
const LORE_COLS: Columns = [
  ['story_id', 'text'], ['title', 'text'], ['keywords', 'jsonb'], ['body', 'text'], ['constant', 'bool'], ['secondary_keys', 'jsonb'],
  ['selective_logic', 'text'], ['case_sensitive', 'bool'], ['whole_words', 'bool'], ['sort_order', 'int'], ['priority', 'int'], ['position', 'text'],
  ['probability', 'int'], ['exclude_recursion', 'bool'], ['prevent_recursion', 'bool'], ['enabled', 'bool'], ['comment', 'text'], ['created_at', 'timestamptz'],
];

/** Field → column for updates. */
const PATCH_COLS: Record<keyof NewLore, [string, (v: never) => unknown]> = {
  title: ['title', String], body: ['body', String], keywords: ['keywords', (v: string[]) => JSON.stringify(v)], constant: ['constant', Boolean],
  secondaryKeys: ['secondary_keys', (v: string[]) => JSON.stringify(v)], logic: ['selective_logic', String], caseSensitive: ['case_sensitive', Boolean],
  wholeWords: ['whole_words', Boolean], order: ['sort_order', Number], priority: ['priority', Number], position: ['position', String],
  probability: ['probability', Number], excludeRecursion: ['exclude_recursion', Boolean], preventRecursion: ['prevent_recursion', Boolean],
  enabled: ['enabled', Boolean], comment: ['comment', String],
};

/** An object without its undefined fields, so spreading it over defaults keeps the defaults. */
export function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** Writes entries in one bulk insert inside the caller's transaction; returns their ids in order. */
export async function insertLoreMany(c: SqlContext, q: Executor, storyId: string, accountId: string, entries: readonly NewLore[]): Promise<string[]> {
  if (!entries.length) return [];
  const now = nowIso();
  const acct = c.d.tenantRows ? [accountId] : [];
  const ids = entries.map(() => newId());
  const cols: Columns = c.d.tenantRows ? [['id', 'text'], ['account_id', 'text'], ...LORE_COLS] : [['id', 'text'], ...LORE_COLS];
  await q.insertMany('lore', cols, entries.map((entry, i) => {
    const e = { ...LORE_DEFAULTS, keywords: [] as string[], constant: false, ...definedOnly(entry) };
    return [ids[i], ...acct, storyId, e.title, JSON.stringify(e.keywords), e.body, e.constant, JSON.stringify(e.secondaryKeys), e.logic, e.caseSensitive,
      e.wholeWords, e.order, e.priority, e.position, e.probability, e.excludeRecursion, e.preventRecursion, e.enabled, e.comment, now];
  }));
  return ids;
}

export async function insertLore(c: SqlContext, q: Executor, storyId: string, accountId: string, entry: NewLore): Promise<string> {
  return (await insertLoreMany(c, q, storyId, accountId, [entry]))[0]!;
}

export async function insertStoryCard(c: SqlContext, q: Executor, storyId: string, accountId: string, card: NonNullable<StoryBundle['card']>): Promise<void> {
  const t = tenant(c.d, accountId);
  await q.run(`INSERT INTO story_cards (story_id${t.col}, spec, card, tags, image, created_at) VALUES (?${t.ph}, ?, ?, ?, ?, ?)`,
    [storyId, ...t.args, card.spec, JSON.stringify(card.data), JSON.stringify(card.tags ?? []), card.image ? Buffer.from(card.image, 'base64') : null, nowIso()]);
}

/** Lore edits and the story's character card; reads of lore stay in SqlMemory (the Preprocessor's role). */
export class SqlLore implements LoreStore {
  constructor(private readonly c: SqlContext) {}

  updateLore(storyId: string, id: string, patch: Partial<NewLore>): Promise<LoreEntry> {
    return this.c.db.transaction(async (q) => {
      await requireStory(this.c, q, storyId);
      const sets: string[] = [];
      const args: unknown[] = [];
      for (const [k, v] of Object.entries(definedOnly(patch))) {
        const col = PATCH_COLS[k as keyof NewLore];
        if (!col) continue;
        sets.push(`${col[0]} = ?`);
        args.push(col[1](v as never));
      }
      if (sets.length) await q.run(`UPDATE lore SET ${sets.join(', ')} WHERE id = ? AND story_id = ?`, [...args, id, storyId]);
      const r = await q.get('SELECT * FROM lore WHERE id = ? AND story_id = ?', [id, storyId]);
      if (!r) throw new NotFoundError(`lore entry ${id} not found in story ${storyId}`, { hint: `list them: luna lore list --story ${storyId}` });
      return this.c.rows.toLore(r);
    }, 'editing lore');
  }

  deleteLore(storyId: string, id: string): Promise<boolean> {
    return this.c.db.transaction(async (q) => {
      await requireStory(this.c, q, storyId);
      const r = await q.get('DELETE FROM lore WHERE id = ? AND story_id = ? RETURNING id', [id, storyId]);
      return Boolean(r);
    }, 'removing lore');
  }

  importLore(storyId: string, entries: NewLore[], opts: { replace?: boolean; uniqueTitles?: boolean } = {}): Promise<LoreEntry[]> {
    return this.c.db.transaction(async (q) => {
      const story = await requireStory(this.c, q, storyId, true);
      if (opts.replace) await q.run('DELETE FROM lore WHERE story_id = ?', [storyId]);
      if (opts.uniqueTitles) {
        // Checked under the story's write lock: two adds racing with one title cannot both land.
        const taken = new Map((await q.all('SELECT id, title FROM lore WHERE story_id = ?', [storyId])).map((r) => [String(r.title).toLowerCase(), r]));
        for (const e of entries) {
          const clash = taken.get(e.title.toLowerCase());
          if (clash) throw new UsageError(`story ${storyId} already has a lore entry "${String(clash.title)}" (${String(clash.id).slice(0, 8)})`, { hint: 'pick another title, or edit that entry' });
          taken.set(e.title.toLowerCase(), { id: 'new', title: e.title });
        }
      }
      const ids = await insertLoreMany(this.c, q, storyId, story.account_id as string, entries);
      const rows = (await q.all('SELECT * FROM lore WHERE story_id = ? ORDER BY seq', [storyId])).map(this.c.rows.toLore);
      const wanted = new Set(ids);
      return rows.filter((r) => wanted.has(r.id));
    }, 'importing lore');
  }

  async getStoryCard(storyId: string): Promise<StoryCard | null> {
    const r = await this.c.db.get('SELECT * FROM story_cards WHERE story_id = ?', [storyId]);
    if (!r) return null;
    return {
      storyId, spec: r.spec as StoryCard['spec'], card: this.c.d.json<Record<string, unknown>>(r.card, {}), tags: this.c.d.json<string[]>(r.tags, []),
      image: r.image ? Buffer.from(r.image as Uint8Array) : null,
    };
  }
}
