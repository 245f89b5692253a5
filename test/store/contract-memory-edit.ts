import { describe, expect, it } from 'vitest';
import { LunaError, NotFoundError, UsageError } from '../../src/errors.js';
import { currentFacts } from '../../src/pipeline/memory.js';
import type { ContractContext } from './contract.js';
import { addTurn, chain } from './fixtures.js';

/** Correcting memory (docs/memory.md): provenance, tombstones, entity edits and merges, the review queue. */
export function memoryEditContract({ store }: ContractContext): void {
  describe('memory edits', () => {
    it('records origin, source turn and tombstones, and the newest row per key wins at the head', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const t1 = await addTurn(s, st.id, 'a', 'x', { entities: [{ name: 'Ash', kind: 'character' }], facts: [{ entityName: 'Ash', key: 'sword', value: 'broken' }] });
      const turns = await chain(s, st.id, 3);
      await s.upsertEntities(st.id, turns[0]!.id, [], [{ entityName: 'Ash', key: 'sword', value: 'reforged' }], { origin: 'player', sourceTurnId: turns[2]!.id });
      await s.upsertEntities(st.id, turns[2]!.id, [], [{ entityName: 'Ash', key: 'sword', value: 'ignored', removed: true }], { origin: 'player' });
      const facts = await s.listFacts(st.id);
      expect(facts.map((f) => [f.depth, f.origin, f.removed, f.value])).toEqual([[1, 'plan', false, 'broken'], [2, 'player', false, 'reforged'], [4, 'player', true, '']]);
      expect(facts[0]!.sourceTurnId).toBe(t1.id);
      expect(facts[1]!.sourceTurnId).toBe(turns[2]!.id);
      expect(facts[2]!.sourceTurnId).toBe(turns[2]!.id);
      const ash = (await s.listEntities(st.id))[0]!;
      const all = () => true;
      expect(currentFacts(facts, all).get(ash.id)).toBeUndefined();
      // On a branch that stops before the tombstone, the corrected value holds.
      const upTo2 = new Set([t1.id, turns[0]!.id]);
      expect(currentFacts(facts, (f) => f.turnId === null || upTo2.has(f.turnId)).get(ash.id)?.map((v) => v.value)).toEqual(['reforged']);
      await s.upsertEntities(st.id, null, [], [{ entityName: 'Ash', key: 'home', value: 'north' }]);
      expect((await s.listFacts(st.id)).find((f) => f.key === 'home')?.origin).toBe('import');
    });

    it('edits an entity: renames keep the old name as an alias, a taken name is refused', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      await addTurn(s, st.id, 'a', 'x', { entities: [{ name: 'Mira', kind: 'other' }, { name: 'Harbor', kind: 'place' }] });
      const [mira] = await s.listEntities(st.id);
      const e = await s.editEntity(st.id, mira!.id, { name: 'Captain Mira', kind: 'character', description: 'Scarred' });
      expect(e).toMatchObject({ name: 'Captain Mira', kind: 'character', description: 'Scarred', aliases: ['Mira'] });
      const e2 = await s.editEntity(st.id, mira!.id, { aliases: ['the captain', 'CAPTAIN MIRA', ''] });
      expect(e2.aliases).toEqual(['the captain']);
      await expect(s.editEntity(st.id, mira!.id, { name: 'harbor' })).rejects.toBeInstanceOf(UsageError);
      await expect(s.editEntity(st.id, 'nope', { name: 'x' })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('merges one entity into another in one transaction: aliases and facts move', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      await addTurn(s, st.id, 'a', 'x', {
        entities: [{ name: 'Mira', kind: 'character', aliases: ['the captain'] }, { name: 'Vance', kind: 'other', description: 'A sailor' }],
        facts: [{ entityName: 'Vance', key: 'ship', value: 'Gull' }, { entityName: 'Mira', key: 'rank', value: 'captain' }],
      });
      const [mira, vance] = await s.listEntities(st.id);
      const merged = await s.mergeEntities(st.id, vance!.id, mira!.id);
      expect(merged.aliases).toEqual(['the captain', 'Vance']);
      expect(merged.description).toBe('A sailor');
      expect((await s.listEntities(st.id)).map((e) => e.name)).toEqual(['Mira']);
      expect((await s.listFacts(st.id)).map((f) => [f.entityId, f.key])).toEqual([[mira!.id, 'ship'], [mira!.id, 'rank']]);
      await expect(s.mergeEntities(st.id, mira!.id, mira!.id)).rejects.toBeInstanceOf(UsageError);
      await expect(s.mergeEntities(st.id, vance!.id, mira!.id)).rejects.toBeInstanceOf(NotFoundError);
      expect((await s.listEntities(st.id)).map((e) => e.name)).toEqual(['Mira']);
    });

    it('removes an entity with every row of its facts, and only that one', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const other = await s.createStory({ title: 'O', premise: 'P' });
      await addTurn(s, st.id, 'a', 'x', {
        entities: [{ name: 'Mira', kind: 'character' }, { name: 'Gull', kind: 'item' }],
        facts: [{ entityName: 'Gull', key: 'owner', value: 'Mira' }, { entityName: 'Mira', key: 'rank', value: 'captain' }],
      });
      const [mira, gull] = await s.listEntities(st.id);
      await s.upsertEntities(st.id, null, [], [{ entityName: 'Gull', key: 'owner', value: 'nobody', removed: true }], { origin: 'player' });
      expect(await s.removeEntity(st.id, gull!.id)).toBe(2);
      expect((await s.listEntities(st.id)).map((e) => e.name)).toEqual(['Mira']);
      expect((await s.listFacts(st.id)).map((f) => [f.entityId, f.key])).toEqual([[mira!.id, 'rank']]);
      await expect(s.removeEntity(st.id, gull!.id)).rejects.toBeInstanceOf(NotFoundError);
      // Another story's id for the entity is no way in.
      await expect(s.removeEntity(other.id, mira!.id)).rejects.toBeInstanceOf(NotFoundError);
      expect((await s.listEntities(st.id)).map((e) => e.name)).toEqual(['Mira']);
    });

    it('queues proposals with a turn commit, and accepts or rejects them all or nothing', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const t1 = await addTurn(s, st.id, 'a', 'x', {
        proposals: [{ op: 'entity', name: 'Ash', kind: 'character' }, { op: 'fact', entity: 'Ash', key: 'sword', value: 'broken' }, { op: 'fact', entity: 'Bo', key: 'mood', value: 'sad' }],
      });
      expect(await s.listEntities(st.id)).toEqual([]);
      const pending = await s.listProposals(st.id, { state: 'pending' });
      expect(pending.map((p) => [p.origin, p.turnId, p.change.op])).toEqual([['plan', t1.id, 'entity'], ['plan', t1.id, 'fact'], ['plan', t1.id, 'fact']]);
      await expect(s.decideProposals(st.id, [pending[0]!.id, 'zzzzzzzz'], true)).rejects.toBeInstanceOf(NotFoundError);
      expect(await s.listEntities(st.id)).toEqual([]);
      const acc = await s.decideProposals(st.id, [pending[0]!.id, pending[1]!.id.slice(0, 8)], true);
      expect(acc.map((p) => p.state)).toEqual(['accepted', 'accepted']);
      const facts = await s.listFacts(st.id);
      expect(facts.map((f) => [f.key, f.value, f.origin, f.turnId, f.depth])).toEqual([['sword', 'broken', 'plan', t1.id, 1]]);
      const rej = await s.decideProposals(st.id, 'all', false);
      expect(rej.map((p) => [p.id, p.state])).toEqual([[pending[2]!.id, 'rejected']]);
      expect(rej[0]!.decidedAt).toBeTruthy();
      await expect(s.decideProposals(st.id, [pending[2]!.id], true)).rejects.toBeInstanceOf(LunaError);
      const queued = await s.addProposals(st.id, t1.id, 'dreamer', [{ op: 'fact-rm', entity: 'Ash', key: 'sword' }]);
      expect(queued.map((p) => [p.origin, p.state, p.turnId])).toEqual([['dreamer', 'pending', t1.id]]);
      await s.decideProposals(st.id, 'all', true);
      const after = await s.listFacts(st.id);
      expect(after.map((f) => [f.removed, f.origin])).toEqual([[false, 'plan'], [true, 'dreamer']]);
      expect(currentFacts(after, () => true).size).toBe(0);
      await expect(s.addProposals(st.id, 'missing', 'dreamer', [{ op: 'fact-rm', entity: 'Ash', key: 'sword' }])).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
