import { NotFoundError } from '../../errors.js';
import { newId, nowIso, SHORT_ID_LENGTH } from '../ids.js';
import { DEFAULT_ACCOUNT_ID, type NewEntity, type NewFact, type Story, type StoryBundle } from '../types.js';
import type { PgDb, Q } from './connection.js';
import { insertLore, upsertEntitiesIn } from './memory.js';
import { toStory } from './rows.js';
import { validateBundle } from '../bundle-check.js';

export interface TurnRow { id: string; parentId: string | null; line: string; depth: number; branchChars: number; action: string; prose: string }

/** Characters as PostgreSQL's char_length counts them (code points), so imported and committed turns agree. */
export const chars = (s: string): number => { let n = 0; for (const _ of s) n++; return n; };

/** Inserts turns in one statement per 2,000 rows (unnest of arrays), keeping their order in seq. */
export async function insertTurnRows(q: Q, storyId: string, accountId: string, turns: TurnRow[], createdAt: string): Promise<void> {
  for (let at = 0; at < turns.length; at += 2000) {
    const c = turns.slice(at, at + 2000);
    await q.run(`INSERT INTO turns (id, account_id, story_id, parent_id, line, depth, branch_chars, action, prose, plan, created_at)
                 SELECT t.id, $1, $2, t.parent_id, t.line, t.depth, t.branch_chars, t.action, t.prose, NULL, $3
                 FROM unnest($4::text[], $5::text[], $6::text[], $7::int[], $8::bigint[], $9::text[], $10::text[]) WITH ORDINALITY
                   AS t(id, parent_id, line, depth, branch_chars, action, prose, ord)
                 ORDER BY t.ord`,
    [accountId, storyId, createdAt, c.map((t) => t.id), c.map((t) => t.parentId), c.map((t) => t.line), c.map((t) => t.depth), c.map((t) => t.branchChars),
      c.map((t) => t.action), c.map((t) => t.prose)]);
  }
}

/** Same semantics as the SQLite import (one transaction; facts with `turn: n` attach to the n-th main-line turn). */
export async function importStoryIn(db: PgDb, bundle: StoryBundle, accountId = db.accountId ?? DEFAULT_ACCOUNT_ID): Promise<Story> {
  validateBundle(bundle);
  return db.tx(async (q) => {
    if (!(await q.one('SELECT 1 FROM accounts WHERE id = $1', [accountId]))) throw new NotFoundError(`account ${accountId} not found`);
    const now = nowIso();
    const storyId = newId(SHORT_ID_LENGTH);
    await q.run(`INSERT INTO stories (id, account_id, title, premise, style, head_turn_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, NULL, $6, $6)`,
      [storyId, accountId, bundle.title, bundle.premise, bundle.style ?? '', now]);
    const rows: TurnRow[] = [];
    const main: string[] = [];
    let parent: string | null = null;
    const sizeAt = new Map<string, number>();
    const size = (parentId: string | null, t: { action: string; prose: string }, id: string) => {
      const n = (parentId === null ? 0 : sizeAt.get(parentId)!) + chars(t.action) + chars(t.prose);
      sizeAt.set(id, n);
      return n;
    };
    for (const t of bundle.turns) {
      const id = newId(SHORT_ID_LENGTH);
      rows.push({ id, parentId: parent, line: rows[0]?.id ?? id, depth: main.length + 1, branchChars: size(parent, t, id), action: t.action, prose: t.prose });
      main.push(id);
      parent = id;
    }
    for (const b of bundle.branches ?? []) {
      let p: string | null = b.from === 0 ? null : main[b.from - 1]!;
      let depth = b.from;
      let line: string | undefined;
      for (const t of b.turns) {
        const id = newId(SHORT_ID_LENGTH);
        // Each side branch is a line of its own (its fork point already continues the main line, or may later).
        line ??= id;
        rows.push({ id, parentId: p, line, depth: ++depth, branchChars: size(p, t, id), action: t.action, prose: t.prose });
        p = id;
      }
    }
    await insertTurnRows(q, storyId, accountId, rows, now);
    for (const l of bundle.lore ?? []) {
      await insertLore(q, storyId, accountId, { title: l.title, keywords: l.keywords ?? [], body: l.body, constant: l.constant ?? false });
    }
    const entities: NewEntity[] = (bundle.entities ?? []).map((e) => ({ name: e.name, kind: e.kind ?? 'other', aliases: e.aliases ?? [], description: e.description ?? '' }));
    await upsertEntitiesIn(q, storyId, accountId, null, entities, []);
    const byTurn = new Map<number, NewFact[]>();
    for (const e of bundle.entities ?? []) {
      for (const f of e.facts ?? []) {
        const at = f.turn ?? 0;
        byTurn.set(at, [...(byTurn.get(at) ?? []), { entityName: e.name, key: f.key, value: f.value }]);
      }
    }
    for (const [at, facts] of [...byTurn].sort((a, b) => a[0] - b[0])) {
      await upsertEntitiesIn(q, storyId, accountId, at === 0 ? null : { id: main[at - 1]!, depth: at }, [], facts);
    }
    const r = await q.one('UPDATE stories SET head_turn_id = $1 WHERE id = $2 RETURNING *', [main.at(-1) ?? null, storyId]);
    return toStory(r!);
  }, 'importing story');
}

