import { describe, expect, it } from 'vitest';
import { NotFoundError } from '../../src/errors.js';
import { exportBundle } from '../../src/story/bundle.js';
import type { ContractContext } from './contract.js';
import { addTurn, chain } from './fixtures.js';

/** The steering columns (migration 0009): the Author's Note, per-turn note/ooc/continued, and prose edits. */
export function steeringContract({ store }: ContractContext): void {
  describe('steering: author\'s note, turn steering, prose edits', () => {
    it('sets and clears a story\'s author\'s note; new stories have none', async () => {
      const s = store();
      const st = await s.createStory({ title: 'Note', premise: 'p' });
      expect(st.authorNote).toBe('');
      const set = await s.setAuthorNote(st.id, 'Keep it eerie; Maren never lies.');
      expect(set.authorNote).toBe('Keep it eerie; Maren never lies.');
      expect((await s.getStory(st.id))?.authorNote).toBe('Keep it eerie; Maren never lies.');
      expect((await s.listStories()).find((x) => x.id === st.id)?.authorNote).toBe('Keep it eerie; Maren never lies.');
      expect((await s.setAuthorNote(st.id, '')).authorNote).toBe('');
      await expect(s.setAuthorNote('zzzzzzzzzzzz', 'x')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('keeps a turn\'s note, ooc and continued flag; plain turns have none', async () => {
      const s = store();
      const st = await s.createStory({ title: 'Steer', premise: 'p' });
      const plain = await addTurn(s, st.id, 'I wait', 'Rain.');
      expect(plain).toMatchObject({ note: '', ooc: '', continued: false, editedAt: null });
      const steered = await addTurn(s, st.id, '', 'The rain goes on.', { note: 'slow down', ooc: 'introduce the ferryman', continued: true });
      expect(steered).toMatchObject({ action: '', note: 'slow down', ooc: 'introduce the ferryman', continued: true, editedAt: null });
      expect(await s.getTurn(steered.id)).toEqual(steered);
      expect((await s.getBranch(st.id, steered.id)).at(-1)).toEqual(steered);
      expect((await s.getChildren(plain.id, st.id))[0]).toEqual(steered);
    });

    it('replaces a turn\'s prose: stamped, searchable by the new words only, embedding dropped, jobs queued', async () => {
      const s = store();
      const st = await s.createStory({ title: 'Edit', premise: 'p' });
      const [t1, t2, t3] = await chain(s, st.id, 3, 'walk');
      await s.putEmbedding(t2!.id, st.id, new Float32Array([1, 0, 0, 0]));
      const before = await s.historySize(st.id, t3!.id);
      expect((await s.searchTurns(st.id, 'lighthouse', 5))).toEqual([]);
      const { turn: edited, factsForgotten, proposalsDropped } = await s.editTurnProse(st.id, t2!.id, 'The lighthouse keeper waves from the gallery.', [{ kind: 'embed-turn' }]);
      expect([factsForgotten, proposalsDropped]).toEqual([0, 0]);
      expect(edited.prose).toBe('The lighthouse keeper waves from the gallery.');
      expect(edited.editedAt).not.toBeNull();
      expect(new Date(edited.editedAt!).toISOString()).toBe(edited.editedAt);
      expect(await s.getTurn(t2!.id)).toEqual(edited);
      expect((await s.searchTurns(st.id, 'lighthouse', 5)).map((h) => h.turnId)).toEqual([t2!.id]);
      expect((await s.searchTurns(st.id, t2!.prose.split(' ').at(-1)!, 5)).map((h) => h.turnId)).not.toContain(t2!.id);
      expect(await s.searchEmbeddings(st.id, new Float32Array([1, 0, 0, 0]), 5)).toEqual([]);
      expect((await s.listJobs({ storyId: st.id })).filter((j) => j.turnId === t2!.id).map((j) => j.kind)).toEqual(['embed-turn']);
      // The branch's size follows the edit below the edited turn too (PostgreSQL keeps it per turn).
      const after = await s.historySize(st.id, t3!.id);
      expect(after.chars - before.chars).toBe(edited.prose.length - t2!.prose.length);
      expect((await s.historySize(st.id, t1!.id)).chars).toBe(t1!.action.length + t1!.prose.length);
      await expect(s.editTurnProse(st.id, 'zzzzzzzzzzzz', 'x')).rejects.toBeInstanceOf(NotFoundError);
      const other = await s.createStory({ title: 'Other', premise: 'p' });
      await expect(s.editTurnProse(other.id, t2!.id, 'x')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('an edit forgets what the Dreamer read from the old prose, keeps the plan\'s facts and older values', async () => {
      const s = store();
      const st = await s.createStory({ title: 'Reread', premise: 'p' });
      const [t1, t2] = await chain(s, st.id, 2, 'walk');
      await s.upsertEntities(st.id, t1!.id, [{ name: 'Maren', kind: 'character' }], [{ entityName: 'Maren', key: 'hides', value: 'the brass key' }], { origin: 'dreamer' });
      await s.upsertEntities(st.id, t2!.id, [], [{ entityName: 'Maren', key: 'hides', value: 'the copper key' }], { origin: 'dreamer' });
      await s.upsertEntities(st.id, t2!.id, [], [{ entityName: 'Maren', key: 'mood', value: 'wary' }], { origin: 'plan' });
      await s.addProposals(st.id, t2!.id, 'dreamer', [{ op: 'fact', entity: 'Maren', key: 'owes', value: 'a debt' }]);
      await s.addProposals(st.id, t1!.id, 'dreamer', [{ op: 'fact', entity: 'Maren', key: 'sings', value: 'at dusk' }]);
      await s.saveImagePrompt(t2!.id, 'Maren holding a copper key');
      await s.saveImagePrompt(t1!.id, 'a brass key on a table');
      const before = (await s.getStory(st.id))!.updatedAt;
      await new Promise((r) => setTimeout(r, 5));
      expect(await s.editTurnProse(st.id, t2!.id, 'Maren shrugs and says nothing.', [{ kind: 'extract-facts' }])).toMatchObject({ factsForgotten: 1, proposalsDropped: 1 });
      // The story list's "updated" follows an edit.
      expect((await s.getStory(st.id))!.updatedAt > before).toBe(true);
      const facts = await s.listFacts(st.id);
      expect(facts.map((f) => [f.key, f.value, f.origin, f.turnId])).toEqual([
        ['hides', 'the brass key', 'dreamer', t1!.id],
        ['mood', 'wary', 'plan', t2!.id],
      ]);
      expect((await s.listProposals(st.id, { state: 'pending' })).map((p) => p.turnId)).toEqual([t1!.id]);
      // The image prompt described the old prose; the other turn's stays.
      expect(await s.getImagePrompts([t1!.id, t2!.id])).toEqual({ [t1!.id]: 'a brass key on a table' });
      expect((await s.listJobs({ storyId: st.id })).filter((j) => j.turnId === t2!.id).map((j) => j.kind)).toContain('extract-facts');
      // Edited again before that job ran: the queued job reads the newest prose, no second one is queued.
      await s.editTurnProse(st.id, t2!.id, 'Maren laughs.', [{ kind: 'extract-facts' }, { kind: 'image-prompt' }]);
      expect((await s.listJobs({ storyId: st.id })).filter((j) => j.turnId === t2!.id).map((j) => j.kind).sort()).toEqual(['extract-facts', 'image-prompt']);
    });

    it('an edit forgets the entities the Dreamer found only in the old prose, and keeps every other', async () => {
      const s = store();
      const st = await s.createStory({ title: 'Strangers', premise: 'p' });
      const [t1, t2, t3] = await chain(s, st.id, 3, 'walk');
      const person = (name: string) => ({ name, kind: 'character' as const });
      // The Dreamer reads five people from turn 2's prose; Pell's one fact is its own, Sable's the player's.
      await s.upsertEntities(st.id, t2!.id, ['Orrin', 'Pell', 'Quill', 'Rook', 'Sable'].map(person), [{ entityName: 'Pell', key: 'carries', value: 'a lamp' }], { origin: 'dreamer' });
      await s.upsertEntities(st.id, t2!.id, [], [{ entityName: 'Sable', key: 'owes', value: 'ten crowns' }], { origin: 'player' });
      // A later turn's plan names Quill; the player corrects Rook.
      await s.upsertEntities(st.id, t3!.id, [person('Quill')], [], { origin: 'plan' });
      const rook = (await s.listEntities(st.id)).find((e) => e.name === 'Rook')!;
      await s.editEntity(st.id, rook.id, { description: 'a tall stranger' });
      // Not this turn's Dreamer: one found at turn 1, and the plan's own at turn 2.
      await s.upsertEntities(st.id, t1!.id, [person('Tamsin')], [], { origin: 'dreamer' });
      await s.upsertEntities(st.id, t2!.id, [person('Ulla')], [], { origin: 'plan' });
      expect(await s.editTurnProse(st.id, t2!.id, 'Nobody is here.', [{ kind: 'extract-facts' }])).toMatchObject({ factsForgotten: 1, entitiesForgotten: 2 });
      expect((await s.listEntities(st.id)).map((e) => e.name).sort()).toEqual(['Quill', 'Rook', 'Sable', 'Tamsin', 'Ulla']);
      // Edited again: nothing more of the Dreamer's is left there.
      expect(await s.editTurnProse(st.id, t2!.id, 'Still nobody.', [])).toMatchObject({ factsForgotten: 0, entitiesForgotten: 0 });
    });

    it('a story file carries the Author\'s Note and each turn\'s steering, both ways', async () => {
      const s = store();
      const st = await s.importStory({
        title: 'Bundle', premise: 'p', authorNote: 'Keep it eerie.',
        turns: [{ action: 'I wait', prose: 'Rain.', note: 'slow' }, { action: '', prose: 'It goes on.', continued: true, ooc: 'a storm' }],
        branches: [{ from: 1, turns: [{ action: 'I run', prose: 'Mud.' }] }],
      });
      expect(st.authorNote).toBe('Keep it eerie.');
      const main = await s.getBranch(st.id, st.headTurnId);
      expect(main.map((t) => [t.note, t.ooc, t.continued])).toEqual([['slow', '', false], ['', 'a storm', true]]);
      const out = await exportBundle(s, st.id);
      expect(out.authorNote).toBe('Keep it eerie.');
      expect(out.turns).toEqual([{ action: 'I wait', prose: 'Rain.', note: 'slow' }, { action: '', prose: 'It goes on.', continued: true, ooc: 'a storm' }]);
      expect(out.branches).toEqual([{ from: 1, turns: [{ action: 'I run', prose: 'Mud.' }] }]);
    });
  });
}
