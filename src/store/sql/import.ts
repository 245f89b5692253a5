import { NotFoundError } from '../../errors.js';
import { validateBundle } from '../bundle-check.js';
import type { BundleTurn, NewEntity, NewFact, Story, StoryBundle } from '../contract/records.js';
import { newId, nowIso, SHORT_ID_LENGTH } from '../ids.js';
import type { SqlContext } from './context.js';
import type { NewTurnRow } from './dialect.js';
import { insertLoreMany, insertStoryCard } from './lore.js';
import { upsertEntitiesIn } from './memory.js';

/**
 * Imports a bundle in one transaction, its turns in one bulk insert (10k turns in about a second). Facts
 * with `turn: n` attach to the n-th main-line turn; without it they are story-level.
 */
export async function importStoryIn(c: SqlContext, bundle: StoryBundle, accountId: string): Promise<Story> {
  validateBundle(bundle);
  return c.db.transaction(async (q) => {
    if (!(await q.get('SELECT 1 FROM accounts WHERE id = ?', [accountId]))) throw new NotFoundError(`account ${accountId} not found`);
    const now = nowIso();
    const storyId = newId(SHORT_ID_LENGTH);
    await q.run('INSERT INTO stories (id, account_id, title, premise, style, head_turn_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, NULL, ?, ?)',
      [storyId, accountId, bundle.title, bundle.premise, bundle.style ?? '', now, now]);
    const turns: NewTurnRow[] = [];
    const steered: { id: string; t: BundleTurn }[] = [];
    const turn = (parentId: string | null, depth: number, t: BundleTurn) => {
      const id = newId(SHORT_ID_LENGTH);
      turns.push({ id, accountId, storyId, parentId, depth, action: t.action, prose: t.prose, plan: null, createdAt: now });
      if (t.continued || t.note || t.ooc) steered.push({ id, t });
      return id;
    };
    const main: string[] = [];
    for (const t of bundle.turns) main.push(turn(main.at(-1) ?? null, main.length + 1, t));
    for (const b of bundle.branches ?? []) {
      let p: string | null = b.from === 0 ? null : main[b.from - 1]!;
      let depth = b.from;
      for (const t of b.turns) p = turn(p, ++depth, t);
    }
    await c.d.insertTurns(q, turns);
    // Steering is rare: written beside the bulk insert, which stays the same for every dialect.
    for (const { id, t } of steered) await q.run('UPDATE turns SET note = ?, ooc = ?, continued = ? WHERE id = ?', [t.note ?? '', t.ooc ?? '', t.continued ? 1 : 0, id]);
    if (bundle.authorNote) await q.run('UPDATE stories SET author_note = ? WHERE id = ?', [bundle.authorNote, storyId]);
    await insertLoreMany(c, q, storyId, accountId, bundle.lore ?? []);
    if (bundle.card) await insertStoryCard(c, q, storyId, accountId, bundle.card);
    const entities: NewEntity[] = (bundle.entities ?? []).map((e) => ({ name: e.name, kind: e.kind ?? 'other', aliases: e.aliases ?? [], description: e.description ?? '' }));
    await upsertEntitiesIn(c, q, storyId, accountId, null, entities, []);
    // Facts grouped by turn so each group carries that turn's id and depth.
    const byTurn = new Map<number, NewFact[]>();
    for (const e of bundle.entities ?? []) {
      for (const f of e.facts ?? []) {
        const at = f.turn ?? 0;
        byTurn.set(at, [...(byTurn.get(at) ?? []), { entityName: e.name, key: f.key, value: f.value, removed: f.removed, origin: f.origin }]);
      }
    }
    for (const [at, facts] of [...byTurn].sort((a, b) => a[0] - b[0])) {
      await upsertEntitiesIn(c, q, storyId, accountId, at === 0 ? null : { id: main[at - 1]!, depth: at }, [], facts, { origin: 'import' });
    }
    await q.run('UPDATE stories SET head_turn_id = ? WHERE id = ?', [main.at(-1) ?? null, storyId]);
    return c.rows.toStory((await q.get('SELECT * FROM stories WHERE id = ?', [storyId]))!);
  }, 'importing story');
}
