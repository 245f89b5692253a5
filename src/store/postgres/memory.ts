import { NotFoundError } from '../../errors.js';
import { planEntityUpsert, type EntityRecord } from '../entity-merge.js';
import { newId, nowIso } from '../ids.js';
import type { ArcSummary, Entity, EntityKind, Fact, LoreEntry, NewEntity, NewFact } from '../types.js';
import type { PgDb, Q } from './connection.js';
import { toArc, toEntity, toFact, toLore } from './rows.js';
import { requireStory } from './stories.js';

/**
 * Entity/fact writes inside the caller's transaction (commitTurn, import, upsertEntities). The caller holds
 * the story row lock, so the read-merge-write of the shared merge rules cannot race another writer.
 */
export async function upsertEntitiesIn(
  q: Q, storyId: string, accountId: string, turn: { id: string; depth: number } | null, entities: NewEntity[], facts: NewFact[],
): Promise<void> {
  if (entities.length === 0 && facts.length === 0) return;
  const existing = (await q.rows('SELECT id, name, kind, aliases, description FROM entities WHERE story_id = $1 ORDER BY seq', [storyId])).map(
    (r): EntityRecord => ({ id: r.id as string, name: r.name as string, kind: r.kind as EntityKind, aliases: (r.aliases as string[]) ?? [], description: r.description as string }),
  );
  const plan = planEntityUpsert(existing, entities, facts, storyId);
  const now = nowIso();
  for (const e of plan.inserts) {
    await q.run(`INSERT INTO entities (id, account_id, story_id, name, kind, aliases, description, first_turn_id, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9)`,
    [e.id, accountId, storyId, e.name, e.kind, JSON.stringify(e.aliases), e.description, turn?.id ?? null, now]);
  }
  for (const e of plan.updates) {
    await q.run('UPDATE entities SET kind = $1, aliases = $2::jsonb, description = $3 WHERE id = $4', [e.kind, JSON.stringify(e.aliases), e.description, e.id]);
  }
  if (plan.facts.length) {
    // One statement for all facts; WITH ORDINALITY keeps their order in seq.
    await q.run(`INSERT INTO facts (id, account_id, story_id, entity_id, key, value, turn_id, depth, created_at)
                 SELECT f.id, $1, $2, f.entity_id, f.key, f.value, $3, $4, $5
                 FROM unnest($6::text[], $7::text[], $8::text[], $9::text[]) WITH ORDINALITY AS f(id, entity_id, key, value, ord) ORDER BY f.ord`,
    [accountId, storyId, turn?.id ?? null, turn?.depth ?? 0, now,
      plan.facts.map(() => newId()), plan.facts.map((f) => f.entityId), plan.facts.map((f) => f.key), plan.facts.map((f) => f.value)]);
  }
}

export async function insertLore(q: Q, storyId: string, accountId: string, entry: Omit<LoreEntry, 'id' | 'storyId'>): Promise<string> {
  const id = newId();
  await q.run(`INSERT INTO lore (id, account_id, story_id, title, keywords, body, constant, created_at) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8)`,
    [id, accountId, storyId, entry.title, JSON.stringify(entry.keywords ?? []), entry.body, Boolean(entry.constant), nowIso()]);
  return id;
}

export class PgMemory {
  constructor(private readonly db: PgDb) {}

  async listEntities(storyId: string): Promise<Entity[]> {
    return (await this.db.read((q) => q.rows('SELECT * FROM entities WHERE story_id = $1 ORDER BY seq', [storyId]))).map(toEntity);
  }

  async listFacts(storyId: string): Promise<Fact[]> {
    return (await this.db.read((q) => q.rows('SELECT * FROM facts WHERE story_id = $1 ORDER BY depth, seq', [storyId]))).map(toFact);
  }

  upsertEntities(storyId: string, turnId: string | null, entities: NewEntity[], facts: NewFact[]): Promise<void> {
    return this.db.tx(async (q) => {
      const story = await requireStory(q, storyId, true);
      let turn: { id: string; depth: number } | null = null;
      if (turnId !== null) {
        const r = await q.one('SELECT id, depth FROM turns WHERE id = $1 AND story_id = $2', [turnId, storyId]);
        if (!r) throw new NotFoundError(`turn ${turnId} not found in story ${storyId}`);
        turn = { id: r.id as string, depth: Number(r.depth) };
      }
      await upsertEntitiesIn(q, storyId, story.account_id as string, turn, entities, facts);
    }, 'updating entities');
  }

  async listLore(storyId: string): Promise<LoreEntry[]> {
    return (await this.db.read((q) => q.rows('SELECT * FROM lore WHERE story_id = $1 ORDER BY seq', [storyId]))).map(toLore);
  }

  addLore(storyId: string, entry: Omit<LoreEntry, 'id' | 'storyId'>): Promise<LoreEntry> {
    return this.db.tx(async (q) => {
      const story = await requireStory(q, storyId);
      const id = await insertLore(q, storyId, story.account_id as string, entry);
      return toLore((await q.one('SELECT * FROM lore WHERE id = $1', [id]))!);
    }, 'adding lore');
  }

  addArcSummary(a: Omit<ArcSummary, 'id' | 'createdAt'>): Promise<ArcSummary> {
    return this.db.tx(async (q) => {
      const t = await q.one('SELECT account_id FROM turns WHERE id = $1 AND story_id = $2', [a.toTurnId, a.storyId]);
      if (!t) throw new NotFoundError(`turn ${a.toTurnId} not found in story ${a.storyId}`);
      const r = await q.one(`INSERT INTO arc_summaries (id, account_id, story_id, to_turn_id, from_depth, to_depth, kind, summary, created_at)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [newId(), t.account_id, a.storyId, a.toTurnId, a.fromDepth, a.toDepth, a.kind, a.summary, nowIso()]);
      return toArc(r!);
    }, 'adding arc summary');
  }

  async listArcSummaries(storyId: string): Promise<ArcSummary[]> {
    return (await this.db.read((q) => q.rows('SELECT * FROM arc_summaries WHERE story_id = $1 ORDER BY to_depth, seq', [storyId]))).map(toArc);
  }
}
