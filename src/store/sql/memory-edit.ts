import { NotFoundError, UsageError } from '../../errors.js';
import type { Entity, EntityKind, EntityPatch, FactOrigin, MemoryChange, MemoryProposal } from '../contract/records.js';
import type { MemoryEditStore } from '../contract/roles.js';
import { newId, nowIso } from '../ids.js';
import { changesToWrite } from '../memory-changes.js';
import type { SqlContext } from './context.js';
import type { Executor, Row } from './executor.js';
import { upsertEntitiesIn, withAccount } from './memory.js';
import { requireStory } from './stories.js';

/** Proposals inside the caller's transaction (commitTurn in review mode, addProposals). */
export async function insertProposalsIn(
  c: SqlContext, q: Executor, storyId: string, accountId: string, turnId: string | null, origin: FactOrigin, changes: readonly MemoryChange[],
): Promise<string[]> {
  if (!changes.length) return [];
  const now = nowIso();
  const ids = changes.map(() => newId());
  await q.insertMany('memory_proposals', withAccount(c, [['id', 'text']], [['story_id', 'text'], ['turn_id', 'text'], ['origin', 'text'], ['change', 'jsonb'],
    ['state', 'text'], ['created_at', 'timestamptz']]),
  changes.map((ch, i) => [ids[i], ...(c.d.tenantRows ? [accountId] : []), storyId, turnId, origin, JSON.stringify(ch), 'pending', now]));
  return ids;
}

function dedupe(aliases: readonly string[], canonical: string): string[] {
  const seen = new Set([canonical.trim().toLowerCase()]);
  const out: string[] = [];
  for (const a of aliases) {
    const t = a.trim();
    if (!t || seen.has(t.toLowerCase())) continue;
    seen.add(t.toLowerCase());
    out.push(t);
  }
  return out;
}

/** A player's corrections: entity edits and merges, and the review queue (docs/memory.md). */
export class SqlMemoryEdit implements MemoryEditStore {
  constructor(private readonly c: SqlContext) {}

  private async entity(q: Executor, storyId: string, id: string): Promise<Row> {
    const r = await q.get(`SELECT * FROM entities WHERE id = ? AND story_id = ?${this.c.d.forUpdate}`, [id, storyId]);
    if (!r) throw new NotFoundError(`entity ${id} not found in story ${storyId}`, { hint: `luna entity list ${storyId} shows them` });
    return r;
  }

  editEntity(storyId: string, entityId: string, patch: EntityPatch): Promise<Entity> {
    return this.c.db.transaction(async (q) => {
      await requireStory(this.c, q, storyId, true);
      const cur = this.c.rows.toEntity(await this.entity(q, storyId, entityId));
      const name = patch.name?.trim() || cur.name;
      if (name.toLowerCase() !== cur.name.toLowerCase()) {
        const clash = await q.get('SELECT name FROM entities WHERE story_id = ? AND lower(name) = ? AND id <> ?', [storyId, name.toLowerCase(), entityId]);
        if (clash) throw new UsageError(`story ${storyId} already has an entity "${String(clash.name)}"`, { hint: `merge them instead: luna entity merge ${storyId} "${cur.name}" "${String(clash.name)}"` });
      }
      // A renamed entity keeps its old name as an alias, so earlier prose still finds it.
      const base = patch.aliases ?? (name !== cur.name ? [...cur.aliases, cur.name] : cur.aliases);
      const aliases = dedupe(base, name);
      // Corrected by the player: theirs from now on (an edit of the prose it was read from keeps it).
      await q.run(`UPDATE entities SET name = ?, kind = ?, description = ?, aliases = ?, origin = 'player' WHERE id = ?`,
        [name, patch.kind ?? cur.kind, patch.description ?? cur.description, JSON.stringify(aliases), entityId]);
      return this.c.rows.toEntity((await q.get('SELECT * FROM entities WHERE id = ?', [entityId]))!);
    }, 'editing entity');
  }

  mergeEntities(storyId: string, fromId: string, intoId: string): Promise<Entity> {
    return this.c.db.transaction(async (q) => {
      await requireStory(this.c, q, storyId, true);
      if (fromId === intoId) throw new UsageError('cannot merge an entity into itself', { hint: 'name two different entities' });
      const from = this.c.rows.toEntity(await this.entity(q, storyId, fromId));
      const into = this.c.rows.toEntity(await this.entity(q, storyId, intoId));
      const aliases = dedupe([...into.aliases, from.name, ...from.aliases], into.name);
      const kind: EntityKind = into.kind === 'other' ? from.kind : into.kind;
      const description = into.description || from.description;
      // Visible wherever either was: an entity from the sheet (no first turn) stays visible on every branch.
      let first = into.firstTurnId;
      if (from.firstTurnId === null) first = null;
      else if (first !== null && first !== from.firstTurnId) {
        const d = await q.all('SELECT id, depth FROM turns WHERE id = ? OR id = ?', [first, from.firstTurnId]);
        const depth = new Map(d.map((r) => [r.id as string, Number(r.depth)]));
        if ((depth.get(from.firstTurnId) ?? 0) < (depth.get(first) ?? 0)) first = from.firstTurnId;
      }
      await q.run('UPDATE facts SET entity_id = ? WHERE entity_id = ?', [intoId, fromId]);
      await q.run('DELETE FROM entities WHERE id = ?', [fromId]);
      await q.run(`UPDATE entities SET aliases = ?, kind = ?, description = ?, first_turn_id = ?, origin = 'player' WHERE id = ?`, [JSON.stringify(aliases), kind, description, first, intoId]);
      return this.c.rows.toEntity((await q.get('SELECT * FROM entities WHERE id = ?', [intoId]))!);
    }, 'merging entities');
  }

  removeEntity(storyId: string, entityId: string): Promise<number> {
    return this.c.db.transaction(async (q) => {
      await requireStory(this.c, q, storyId, true);
      await this.entity(q, storyId, entityId);
      const facts = await q.run('DELETE FROM facts WHERE entity_id = ?', [entityId]);
      await q.run('DELETE FROM entities WHERE id = ?', [entityId]);
      return facts;
    }, 'removing entity');
  }

  addProposals(storyId: string, turnId: string | null, origin: FactOrigin, changes: MemoryChange[]): Promise<MemoryProposal[]> {
    return this.c.db.transaction(async (q) => {
      const story = await requireStory(this.c, q, storyId, true);
      if (turnId !== null && !(await q.get('SELECT 1 FROM turns WHERE id = ? AND story_id = ?', [turnId, storyId]))) {
        throw new NotFoundError(`turn ${turnId} not found in story ${storyId}`);
      }
      const ids = new Set(await insertProposalsIn(this.c, q, storyId, story.account_id as string, turnId, origin, changes));
      return (await q.all('SELECT * FROM memory_proposals WHERE story_id = ? ORDER BY seq', [storyId])).map(this.c.rows.toProposal).filter((p) => ids.has(p.id));
    }, 'queueing memory changes');
  }

  async listProposals(storyId: string, filter: { state?: MemoryProposal['state'] } = {}): Promise<MemoryProposal[]> {
    const rows = filter.state
      ? await this.c.db.all('SELECT * FROM memory_proposals WHERE story_id = ? AND state = ? ORDER BY seq', [storyId, filter.state])
      : await this.c.db.all('SELECT * FROM memory_proposals WHERE story_id = ? ORDER BY seq', [storyId]);
    return rows.map(this.c.rows.toProposal);
  }

  /**
   * Accepts (writes, in order) or rejects pending proposals, all in one transaction: an unknown or already
   * decided id fails the whole call. 'all' takes every pending one.
   */
  decideProposals(storyId: string, ids: string[] | 'all', accept: boolean): Promise<MemoryProposal[]> {
    return this.c.db.transaction(async (q) => {
      const story = await requireStory(this.c, q, storyId, true);
      const pending = (await q.all("SELECT * FROM memory_proposals WHERE story_id = ? AND state = 'pending' ORDER BY seq", [storyId])).map(this.c.rows.toProposal);
      let chosen = pending;
      if (ids !== 'all') {
        const byId = new Map(pending.map((p) => [p.id, p]));
        const want = new Set<string>();
        for (const ref of ids) {
          const byPrefix = byId.has(ref) ? [byId.get(ref)!] : pending.filter((p) => p.id.startsWith(ref.toLowerCase()));
          if (byPrefix.length > 1) throw new UsageError(`proposal id "${ref}" matches ${byPrefix.length} pending changes`, { hint: 'type more characters of the id' });
          if (!byPrefix.length) throw new NotFoundError(`no pending memory change "${ref}" in story ${storyId}`, { hint: `luna memory review ${storyId} lists them` });
          want.add(byPrefix[0]!.id);
        }
        chosen = pending.filter((p) => want.has(p.id));
      }
      const now = nowIso();
      for (const p of chosen) {
        if (accept) {
          const turn = p.turnId === null ? null : await q.get('SELECT id, depth FROM turns WHERE id = ?', [p.turnId]);
          const w = changesToWrite([p.change]);
          await upsertEntitiesIn(this.c, q, storyId, story.account_id as string, turn ? { id: turn.id as string, depth: Number(turn.depth) } : null, w.entities, w.facts,
            { origin: p.origin, sourceTurnId: p.turnId });
        }
        await q.run('UPDATE memory_proposals SET state = ?, decided_at = ? WHERE id = ?', [accept ? 'accepted' : 'rejected', now, p.id]);
      }
      const done = new Set(chosen.map((p) => p.id));
      return (await q.all('SELECT * FROM memory_proposals WHERE story_id = ? ORDER BY seq', [storyId])).map(this.c.rows.toProposal).filter((p) => done.has(p.id));
    }, accept ? 'accepting memory changes' : 'rejecting memory changes');
  }
}
