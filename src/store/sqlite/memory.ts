import { NotFoundError } from '../../errors.js';
import { planEntityUpsert, type EntityRecord } from '../entity-merge.js';
import { newId, nowIso } from '../ids.js';
import type { ArcSummary, Entity, EntityKind, Fact, LoreEntry, NewEntity, NewFact } from '../types.js';
import { writeTx, type Db } from './connection.js';
import { toArc, toEntity, toFact, toLore } from './rows.js';

type Row = Record<string, unknown>;

/**
 * Entity/fact writes without their own transaction, so commitTurn and importStory can run them inside theirs.
 * `turn` is the turn that introduced the facts (null for sheets/lore); its depth orders facts on a branch.
 */
export function upsertEntitiesIn(db: Db, storyId: string, turn: { id: string; depth: number } | null, entities: NewEntity[], facts: NewFact[]): void {
  if (entities.length === 0 && facts.length === 0) return;
  const existing = (db.prepare('SELECT id, name, kind, aliases, description FROM entities WHERE story_id = ? ORDER BY seq').all(storyId) as Row[]).map(
    (r): EntityRecord => ({
      id: r.id as string,
      name: r.name as string,
      kind: r.kind as EntityKind,
      aliases: JSON.parse(r.aliases as string) as string[],
      description: r.description as string,
    }),
  );
  const plan = planEntityUpsert(existing, entities, facts, storyId);
  const now = nowIso();
  const ins = db.prepare(`INSERT INTO entities (id, story_id, name, kind, aliases, description, first_turn_id, created_at)
                          VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const e of plan.inserts) ins.run(e.id, storyId, e.name, e.kind, JSON.stringify(e.aliases), e.description, turn?.id ?? null, now);
  const upd = db.prepare('UPDATE entities SET kind = ?, aliases = ?, description = ? WHERE id = ?');
  for (const e of plan.updates) upd.run(e.kind, JSON.stringify(e.aliases), e.description, e.id);
  const fact = db.prepare(`INSERT INTO facts (id, story_id, entity_id, key, value, turn_id, depth, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`);
  for (const f of plan.facts) fact.run(newId(), storyId, f.entityId, f.key, f.value, turn?.id ?? null, turn?.depth ?? 0, now);
}

export class SqliteMemory {
  constructor(private readonly db: Db) {}

  listEntities(storyId: string): Entity[] {
    return (this.db.prepare('SELECT * FROM entities WHERE story_id = ? ORDER BY seq').all(storyId) as Row[]).map(toEntity);
  }

  listFacts(storyId: string): Fact[] {
    return (this.db.prepare('SELECT * FROM facts WHERE story_id = ? ORDER BY depth, seq').all(storyId) as Row[]).map(toFact);
  }

  upsertEntities(storyId: string, turnId: string | null, entities: NewEntity[], facts: NewFact[]): void {
    writeTx(this.db, () => {
      if (!this.db.prepare('SELECT 1 FROM stories WHERE id = ?').get(storyId)) throw new NotFoundError(`story ${storyId} not found`);
      let turn: { id: string; depth: number } | null = null;
      if (turnId !== null) {
        const r = this.db.prepare('SELECT id, depth FROM turns WHERE id = ? AND story_id = ?').get(turnId, storyId) as Row | undefined;
        if (!r) throw new NotFoundError(`turn ${turnId} not found in story ${storyId}`);
        turn = { id: r.id as string, depth: Number(r.depth) };
      }
      upsertEntitiesIn(this.db, storyId, turn, entities, facts);
    });
  }

  listLore(storyId: string): LoreEntry[] {
    return (this.db.prepare('SELECT * FROM lore WHERE story_id = ? ORDER BY seq').all(storyId) as Row[]).map(toLore);
  }

  addLore(storyId: string, entry: Omit<LoreEntry, 'id' | 'storyId'>): LoreEntry {
    return writeTx(this.db, () => {
      if (!this.db.prepare('SELECT 1 FROM stories WHERE id = ?').get(storyId)) throw new NotFoundError(`story ${storyId} not found`);
      const id = insertLore(this.db, storyId, entry);
      return toLore(this.db.prepare('SELECT * FROM lore WHERE id = ?').get(id) as Row);
    });
  }

  addArcSummary(a: Omit<ArcSummary, 'id' | 'createdAt'>): ArcSummary {
    return writeTx(this.db, () => {
      if (!this.db.prepare('SELECT 1 FROM turns WHERE id = ? AND story_id = ?').get(a.toTurnId, a.storyId)) {
        throw new NotFoundError(`turn ${a.toTurnId} not found in story ${a.storyId}`);
      }
      const id = newId();
      this.db
        .prepare(`INSERT INTO arc_summaries (id, story_id, to_turn_id, from_depth, to_depth, kind, summary, created_at)
                  VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
        .run(id, a.storyId, a.toTurnId, a.fromDepth, a.toDepth, a.kind, a.summary, nowIso());
      return toArc(this.db.prepare('SELECT * FROM arc_summaries WHERE id = ?').get(id) as Row);
    });
  }

  listArcSummaries(storyId: string): ArcSummary[] {
    return (this.db.prepare('SELECT * FROM arc_summaries WHERE story_id = ? ORDER BY to_depth, seq').all(storyId) as Row[]).map(toArc);
  }
}

export function insertLore(db: Db, storyId: string, entry: Omit<LoreEntry, 'id' | 'storyId'>): string {
  const id = newId();
  db.prepare(`INSERT INTO lore (id, story_id, title, keywords, body, constant, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`).run(
    id, storyId, entry.title, JSON.stringify(entry.keywords ?? []), entry.body, entry.constant ? 1 : 0, nowIso(),
  );
  return id;
}
