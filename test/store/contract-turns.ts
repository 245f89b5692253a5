import { describe, expect, it } from 'vitest';
import { BusyError, NotFoundError } from '../../src/errors.js';
import { DEFAULT_ACCOUNT_ID } from '../../src/store/types.js';
import type { ContractContext } from './contract.js';
import { addTurn, chain, ledgerRow } from './fixtures.js';

export function turnContract({ store }: ContractContext): void {
  describe('stories and turns', () => {
    it('creates, finds (also by unique id prefix) and lists stories', async () => {
      const s = store();
      const a = await s.createStory({ title: 'Ice', premise: 'A glacier expedition', style: 'terse' });
      const b = await s.createStory({ title: 'Sand', premise: 'A desert caravan' });
      expect(a.accountId).toBe(DEFAULT_ACCOUNT_ID);
      expect(a.headTurnId).toBeNull();
      expect(new Date(a.createdAt).toISOString()).toBe(a.createdAt);
      expect(await s.getStory(a.id)).toEqual(a);
      expect(await s.getStory('nonexistent-id')).toBeNull();
      let k = 4;
      while (a.id.slice(0, k) === b.id.slice(0, k)) k++;
      expect((await s.getStory(a.id.slice(0, k)))?.id).toBe(a.id);
      await chain(s, b.id, 2);
      const list = await s.listStories();
      expect(list.map((x) => x.id).sort()).toEqual([a.id, b.id].sort());
      expect(list.find((x) => x.id === b.id)?.turnCount).toBe(2);
      expect(list.find((x) => x.id === a.id)?.turnCount).toBe(0);
      await s.ensureAccount('acme', 'Acme', 'studio');
      const c = await s.createStory({ accountId: 'acme', title: 'Other', premise: 'p' });
      expect((await s.listStories({ accountId: 'acme' })).map((x) => x.id)).toEqual([c.id]);
      await expect(s.createStory({ accountId: 'nobody', title: 'x', premise: 'y' })).rejects.toBeInstanceOf(NotFoundError);
    });

    it('reads several turns of one story by id in one call, in the order asked, skipping unknown ids and other stories', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const other = await s.createStory({ title: 'O', premise: 'P' });
      const turns = await chain(s, st.id, 4);
      const foreign = await chain(s, other.id, 1);
      const got = await s.getTurns(st.id, [turns[3]!.id, 'nope', turns[0]!.id, foreign[0]!.id, turns[3]!.id]);
      expect(got.map((t) => t.id)).toEqual([turns[3]!.id, turns[0]!.id]);
      expect(got[0]).toEqual(await s.getTurn(turns[3]!.id));
      expect(await s.getTurns(st.id, [])).toEqual([]);
    });

    it('commits a line of turns with depths, moving the head, and walks the branch oldest first', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const turns = await chain(s, st.id, 5);
      expect(turns.map((t) => t.depth)).toEqual([1, 2, 3, 4, 5]);
      expect(turns[0]!.parentId).toBeNull();
      expect(turns[3]!.parentId).toBe(turns[2]!.id);
      expect((await s.getStory(st.id))?.headTurnId).toBe(turns[4]!.id);
      const branch = await s.getBranch(st.id, turns[4]!.id);
      expect(branch.map((t) => t.id)).toEqual(turns.map((t) => t.id));
      expect(await s.getBranchIds(st.id, turns[4]!.id)).toEqual(turns.map((t) => t.id));
      expect((await s.getBranch(st.id, turns[4]!.id, { limit: 2 })).map((t) => t.id)).toEqual([turns[3]!.id, turns[4]!.id]);
      expect(await s.getBranch(st.id, turns[2]!.id)).toHaveLength(3);
      expect(await s.getBranch(st.id, null)).toEqual([]);
      expect(await s.countTurns(st.id)).toBe(5);
      const got = await s.getTurn(turns[1]!.id);
      expect(got).toEqual(turns[1]);
      expect((await s.getTurn(turns[1]!.id.slice(0, 10)))?.id).toBe(turns[1]!.id);
      expect(await s.getTurn('zzzzzzzzzzzzzzzzz')).toBeNull();
    });

    it('keeps the plan JSON as given', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const plan = { beats: [{ goal: 'escape', tension: 0.7 }], notes: ['ü', 'quote "x"'] };
      const t = await addTurn(s, st.id, 'a', 'b', { plan });
      expect((await s.getTurn(t.id))?.plan).toEqual(plan);
    });

    it('branches: undo moves the head back, a new turn forks, both branches stay intact', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [t1, t2, t3] = await chain(s, st.id, 3);
      await s.setHead(st.id, t2!.id, t3!.id);
      expect((await s.getStory(st.id))?.headTurnId).toBe(t2!.id);
      const t3b = await addTurn(s, st.id, 'fork action', 'fork prose');
      expect(t3b.parentId).toBe(t2!.id);
      expect(t3b.depth).toBe(3);
      expect((await s.getBranch(st.id, t3b.id)).map((t) => t.id)).toEqual([t1!.id, t2!.id, t3b.id]);
      expect((await s.getBranch(st.id, t3!.id)).map((t) => t.id)).toEqual([t1!.id, t2!.id, t3!.id]);
      expect((await s.getChildren(t2!.id, st.id)).map((t) => t.id).sort()).toEqual([t3!.id, t3b.id].sort());
      expect((await s.getChildren(null, st.id)).map((t) => t.id)).toEqual([t1!.id]);
      expect((await s.listLeaves(st.id)).map((t) => t.id).sort()).toEqual([t3!.id, t3b.id].sort());
      expect(await s.countTurns(st.id)).toBe(4);
      // Retry-style commit: a sibling of the head, planned against the head.
      const t3c = await s.commitTurn({
        storyId: st.id, expectedHeadId: t3b.id, parentId: t2!.id, action: 'retry', prose: 'again', plan: null,
        entities: [], facts: [], ledger: [], jobs: [],
      });
      expect(t3c.depth).toBe(3);
      expect((await s.getStory(st.id))?.headTurnId).toBe(t3c.id);
      await s.setHead(st.id, null);
      expect((await s.getStory(st.id))?.headTurnId).toBeNull();
      await expect(s.setHead(st.id, 'not-a-turn')).rejects.toBeInstanceOf(NotFoundError);
    });

    it('refuses a commit or head move planned against a head that moved (BusyError, exit 9) and writes nothing', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [t1, t2] = await chain(s, st.id, 2);
      const stale = {
        storyId: st.id, expectedHeadId: t1!.id, parentId: t1!.id, action: 'late', prose: 'late prose', plan: null,
        entities: [{ name: 'Ghost', kind: 'character' as const }], facts: [{ entityName: 'Ghost', key: 'mood', value: 'sad' }],
        ledger: [ledgerRow()], jobs: [{ kind: 'embed-turn' as const }],
      };
      const err = await s.commitTurn(stale).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(BusyError);
      expect((err as BusyError).exitCode).toBe(9);
      expect((err as BusyError).message).toMatch(/story is busy/);
      expect(await s.countTurns(st.id)).toBe(2);
      expect(await s.listEntities(st.id)).toEqual([]);
      expect(await s.listCalls()).toEqual([]);
      expect(await s.listJobs({ storyId: st.id })).toEqual([]);
      expect((await s.getStory(st.id))?.headTurnId).toBe(t2!.id);
      await expect(s.setHead(st.id, t1!.id, t1!.id)).rejects.toBeInstanceOf(BusyError);
      expect((await s.getStory(st.id))?.headTurnId).toBe(t2!.id);
    });

    it('rolls the whole commit back when a fact names an unknown entity', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [t1] = await chain(s, st.id, 1);
      await expect(
        s.commitTurn({
          storyId: st.id, expectedHeadId: t1!.id, parentId: t1!.id, action: 'a', prose: 'b', plan: null,
          entities: [{ name: 'Mira', kind: 'character' }],
          facts: [{ entityName: 'Mira', key: 'hair', value: 'red' }, { entityName: 'Nobody', key: 'x', value: 'y' }],
          ledger: [ledgerRow(), ledgerRow({ agent: 'strategist' })], jobs: [{ kind: 'arc-summary' }],
        }),
      ).rejects.toThrow(/Nobody/);
      expect(await s.countTurns(st.id)).toBe(1);
      expect((await s.getStory(st.id))?.headTurnId).toBe(t1!.id);
      expect(await s.listEntities(st.id)).toEqual([]);
      expect(await s.listFacts(st.id)).toEqual([]);
      expect(await s.listCalls()).toEqual([]);
      expect((await s.jobCounts(st.id)).queued).toBe(0);
      expect(await s.searchTurns(st.id, 'b', 5)).toEqual([]);
    });

    it('rejects a parent from another story', async () => {
      const s = store();
      const a = await s.createStory({ title: 'A', premise: 'P' });
      const b = await s.createStory({ title: 'B', premise: 'P' });
      const [ta] = await chain(s, a.id, 1);
      await expect(
        s.commitTurn({ storyId: b.id, expectedHeadId: null, parentId: ta!.id, action: 'x', prose: 'y', plan: null, entities: [], facts: [], ledger: [], jobs: [] }),
      ).rejects.toBeInstanceOf(NotFoundError);
      expect(await s.countTurns(b.id)).toBe(0);
    });

    it('attaches ledger rows (with the story account) and jobs to the committed turn', async () => {
      const s = store();
      await s.ensureAccount('acct-9');
      const st = await s.createStory({ accountId: 'acct-9', title: 'T', premise: 'P' });
      const t = await addTurn(s, st.id, 'a', 'b', {
        ledger: [ledgerRow({ agent: 'preprocessor' }), ledgerRow({ agent: 'writer', costUsd: null })],
        jobs: [{ kind: 'embed-turn', payload: { n: 1 } }, { kind: 'entity-sheet' }],
      });
      const calls = await s.listCalls({ storyId: st.id });
      expect(calls).toHaveLength(2);
      for (const c of calls) expect([c.accountId, c.storyId, c.turnId]).toEqual(['acct-9', st.id, t.id]);
      expect(calls.find((c) => c.agent === 'writer')?.costUsd).toBeNull();
      const jobs = await s.listJobs({ storyId: st.id });
      expect(jobs.map((j) => [j.kind, j.turnId, j.state]).sort()).toEqual([['embed-turn', t.id, 'queued'], ['entity-sheet', t.id, 'queued']]);
      expect(jobs.find((j) => j.kind === 'embed-turn')?.payload).toEqual({ n: 1 });
    });
  });
}
