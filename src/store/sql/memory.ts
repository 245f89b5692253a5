import { NotFoundError } from '../../errors.js';
import type { ArcSummary, Entity, EntityKind, Fact, FactWriteMeta, LoreEntry, NewEntity, NewFact, NewLore, PassageSearch, PassageTurn, SearchHit, StoryMemory } from '../contract/records.js';
import type { MemoryStore } from '../contract/roles.js';
import { planEntityUpsert, type EntityRecord } from '../entity-merge.js';
import { newId, nowIso } from '../ids.js';
import type { SqlContext } from './context.js';
import { tenant } from './dialect.js';
import type { Columns, Executor, Row } from './executor.js';
import { insertLore } from './lore.js';
import { readPassageTurns } from './passages.js';
import { requireStory } from './stories.js';

/**
 * Entity/fact writes inside the caller's transaction (commitTurn, import, upsertEntities), which holds the
 * story's write lock, so the read-merge-write of the shared merge rules cannot race another writer.
 * `turn` introduced the facts (null for sheets/lore); its depth orders facts on a branch.
 */
export async function upsertEntitiesIn(
  c: SqlContext, q: Executor, storyId: string, accountId: string, turn: { id: string; depth: number } | null, entities: NewEntity[], facts: NewFact[],
  meta: FactWriteMeta = {},
): Promise<void> {
  if (entities.length === 0 && facts.length === 0) return;
  const rows = await q.all('SELECT id, name, kind, aliases, description, origin FROM entities WHERE story_id = ? ORDER BY seq', [storyId]);
  const existing = rows.map(
    (r): EntityRecord => ({ id: r.id as string, name: r.name as string, kind: r.kind as EntityKind, aliases: c.d.json<string[]>(r.aliases, []), description: r.description as string }),
  );
  const plan = planEntityUpsert(existing, entities, facts, storyId);
  const now = nowIso();
  const acct = c.d.tenantRows ? [accountId] : [];
  const turnId = turn?.id ?? null;
  const origin = meta.origin ?? (turn ? 'plan' : 'import');
  await q.insertMany('entities', withAccount(c, [['id', 'text']], [['story_id', 'text'], ['name', 'text'], ['kind', 'text'], ['aliases', 'jsonb'],
    ['description', 'text'], ['first_turn_id', 'text'], ['created_at', 'timestamptz'], ['origin', 'text']]),
  plan.inserts.map((e) => [e.id, ...acct, storyId, e.name, e.kind, JSON.stringify(e.aliases), e.description, turnId, now, origin]));
  for (const e of plan.updates) {
    await q.run('UPDATE entities SET kind = ?, aliases = ?, description = ? WHERE id = ?', [e.kind, JSON.stringify(e.aliases), e.description, e.id]);
  }
  // An entity only the Dreamer had found is no longer only its own once anything else names it: an edit of the
  // prose it was read from must not forget it (editTurnProseIn).
  const dreamt = new Set(rows.filter((r) => r.origin === 'dreamer').map((r) => r.id as string));
  const named = origin === 'dreamer' ? [] : plan.matched.filter((id) => dreamt.has(id));
  if (named.length) {
    const ids = c.d.inList('id', named);
    await q.run(`UPDATE entities SET origin = ? WHERE ${ids.sql}`, [origin, ids.param]);
  }
  const source = meta.sourceTurnId === undefined ? turnId : meta.sourceTurnId;
  await q.insertMany('facts', withAccount(c, [['id', 'text']], [['story_id', 'text'], ['entity_id', 'text'], ['key', 'text'], ['value', 'text'],
    ['turn_id', 'text'], ['depth', 'int'], ['created_at', 'timestamptz'], ['origin', 'text'], ['source_turn_id', 'text'], ['removed', 'bool']]),
  plan.facts.map((f) => [newId(), ...acct, storyId, f.entityId, f.key, f.removed ? '' : f.value, turnId, turn?.depth ?? 0, now, f.origin ?? origin, source, f.removed]));
}

/** `before`, then account_id where the dialect keeps it on every row, then `after`. */
export function withAccount(c: SqlContext, before: Columns, after: Columns): Columns {
  return c.d.tenantRows ? [...before, ['account_id', 'text'], ...after] : [...before, ...after];
}

/** The account of a turn in a story (through its story, where SQLite keeps it), or NotFoundError. */
export async function turnAccount(q: Executor, turnId: string, storyId?: string): Promise<string> {
  const r = await q.get(`SELECT s.account_id FROM turns t JOIN stories s ON s.id = t.story_id WHERE t.id = ?${storyId === undefined ? '' : ' AND t.story_id = ?'}`,
    storyId === undefined ? [turnId] : [turnId, storyId]);
  if (!r) throw new NotFoundError(storyId === undefined ? `turn ${turnId} not found` : `turn ${turnId} not found in story ${storyId}`);
  return r.account_id as string;
}

/** Entities, facts, lore, arc summaries, history size, embeddings and image prompts; search is each driver's own. */
export abstract class SqlMemory implements MemoryStore {
  constructor(protected readonly c: SqlContext) {}

  abstract searchTurns(storyId: string, query: string, limit: number): Promise<SearchHit[]>;
  abstract searchEmbeddings(storyId: string, vector: Float32Array, limit: number): Promise<SearchHit[]>;

  /** Two reads here; PostgreSQL answers both in one round trip (src/store/postgres/memory.ts). */
  async searchPassages(storyId: string, query: string, limit: number, read: number, also: readonly string[] = []): Promise<PassageSearch> {
    const hits = await this.searchTurns(storyId, query, limit);
    return { hits, turns: hits.length ? await this.getPassageTurns(storyId, [...hits.slice(0, Math.max(0, read)).map((h) => h.turnId), ...also]) : [] };
  }

  getPassageTurns(storyId: string, ids: readonly string[]): Promise<PassageTurn[]> {
    return this.c.db.read((q) => readPassageTurns(this.c, q, storyId, ids), 'reading turns');
  }

  async listEntities(storyId: string): Promise<Entity[]> {
    return (await this.c.db.all('SELECT * FROM entities WHERE story_id = ? ORDER BY seq', [storyId])).map(this.c.rows.toEntity);
  }

  async listFacts(storyId: string): Promise<Fact[]> {
    return (await this.c.db.all('SELECT * FROM facts WHERE story_id = ? ORDER BY depth, seq', [storyId])).map(this.c.rows.toFact);
  }

  upsertEntities(storyId: string, turnId: string | null, entities: NewEntity[], facts: NewFact[], meta?: FactWriteMeta): Promise<void> {
    return this.c.db.transaction(async (q) => {
      const story = await requireStory(this.c, q, storyId, true);
      let turn: { id: string; depth: number } | null = null;
      if (turnId !== null) {
        const r = await q.get('SELECT id, depth FROM turns WHERE id = ? AND story_id = ?', [turnId, storyId]);
        if (!r) throw new NotFoundError(`turn ${turnId} not found in story ${storyId}`);
        turn = { id: r.id as string, depth: Number(r.depth) };
      }
      await upsertEntitiesIn(this.c, q, storyId, story.account_id as string, turn, entities, facts, meta);
    }, 'updating entities');
  }

  async listLore(storyId: string): Promise<LoreEntry[]> {
    return (await this.c.db.all('SELECT * FROM lore WHERE story_id = ? ORDER BY seq', [storyId])).map(this.c.rows.toLore);
  }

  addLore(storyId: string, entry: NewLore): Promise<LoreEntry> {
    return this.c.db.transaction(async (q) => {
      const story = await requireStory(this.c, q, storyId);
      const id = await insertLore(this.c, q, storyId, story.account_id as string, entry);
      return this.c.rows.toLore((await q.get('SELECT * FROM lore WHERE id = ?', [id]))!);
    }, 'adding lore');
  }

  addArcSummary(a: Omit<ArcSummary, 'id' | 'createdAt'>): Promise<ArcSummary> {
    return this.c.db.transaction(async (q) => {
      const t = tenant(this.c.d, await turnAccount(q, a.toTurnId, a.storyId));
      const r = await q.get(`INSERT INTO arc_summaries (id${t.col}, story_id, to_turn_id, from_depth, to_depth, kind, summary, created_at)
                             VALUES (?${t.ph}, ?, ?, ?, ?, ?, ?, ?) RETURNING *`,
      [newId(), ...t.args, a.storyId, a.toTurnId, a.fromDepth, a.toDepth, a.kind, a.summary, nowIso()]);
      return this.c.rows.toArc(r!);
    }, 'adding arc summary');
  }

  async listArcSummaries(storyId: string): Promise<ArcSummary[]> {
    return (await this.c.db.all('SELECT * FROM arc_summaries WHERE story_id = ? ORDER BY to_depth, seq', [storyId])).map(this.c.rows.toArc);
  }

  historySize(storyId: string, headTurnId: string | null): Promise<{ turns: number; chars: number; loreChars: number }> {
    return this.c.db.read(async (q) => ({ ...await branchSize(this.c, q, storyId, headTurnId), loreChars: await loreChars(q, storyId) }), 'measuring history');
  }

  /** The separate reads, run together: SQLite answers each in microseconds; PostgreSQL overrides it with one statement. */
  async storyMemory(storyId: string, headTurnId: string | null, opts: { knownLoreRev?: number } = {}): Promise<StoryMemory> {
    // The revision before the lore: a write landing between the two makes the next read fetch again, where the
    // other order could keep an old list under the new number.
    const loreRev = Number((await this.c.db.get('SELECT lore_rev FROM stories WHERE id = ?', [storyId]))?.lore_rev ?? 0);
    const unchanged = opts.knownLoreRev === loreRev;
    const [entities, facts, lore, arcs, size] = await Promise.all([
      this.listEntities(storyId), this.listFacts(storyId), unchanged ? [] : this.listLore(storyId), this.listArcSummaries(storyId),
      unchanged ? this.c.db.read(async (q) => ({ ...await branchSize(this.c, q, storyId, headTurnId), loreChars: 0 })) : this.historySize(storyId, headTurnId),
    ]);
    return { entities, facts, lore, arcs, size, loreRev, ...(unchanged ? { loreUnchanged: true } : {}) };
  }

  putEmbedding(turnId: string, storyId: string, vector: Float32Array): Promise<void> {
    return this.c.db.transaction(async (q) => {
      const t = tenant(this.c.d, await turnAccount(q, turnId, storyId));
      await q.run(`INSERT INTO embeddings (turn_id${t.col}, story_id, dim, vector, created_at) VALUES (?${t.ph}, ?, ?, ?, ?)
                   ON CONFLICT (turn_id) DO UPDATE SET dim = excluded.dim, vector = excluded.vector, created_at = excluded.created_at`,
      [turnId, ...t.args, storyId, vector.length, this.c.d.vector(vector), nowIso()]);
    }, 'storing embedding');
  }

  /** One prompt per turn, last write wins. */
  saveImagePrompt(turnId: string, prompt: string): Promise<void> {
    return this.c.db.transaction(async (q) => {
      const t = tenant(this.c.d, await turnAccount(q, turnId));
      await q.run(`INSERT INTO image_prompts (turn_id${t.col}, prompt, created_at) VALUES (?${t.ph}, ?, ?)
                   ON CONFLICT (turn_id) DO UPDATE SET prompt = excluded.prompt, created_at = excluded.created_at`, [turnId, ...t.args, prompt, nowIso()]);
    }, 'saving image prompt');
  }

  async getImagePrompts(turnIds: string[]): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    if (!turnIds.length) return out;
    const ids = this.c.d.inList('turn_id', turnIds);
    for (const r of await this.c.db.all<Row>(`SELECT turn_id, prompt FROM image_prompts WHERE ${ids.sql}`, [ids.param])) out[r.turn_id as string] = r.prompt as string;
    return out;
  }
}

/** Turns on the branch ending at `head` and their action+prose characters (none for a null head). */
async function branchSize(c: SqlContext, q: Executor, storyId: string, head: string | null): Promise<{ turns: number; chars: number }> {
  const b = head === null ? undefined : await q.get(c.d.branchSizeSql, [head, storyId]);
  return { turns: Number(b?.n ?? 0), chars: Number(b?.chars ?? 0) };
}

async function loreChars(q: Executor, storyId: string): Promise<number> {
  return Number((await q.get('SELECT coalesce(sum(length(title) + length(body)), 0) AS n FROM lore WHERE story_id = ?', [storyId]))?.n ?? 0);
}
