import { describe, expect, it } from 'vitest';
import type { ContractContext } from './contract.js';
import { chain } from './fixtures.js';

const img = (n: number, over: Record<string, unknown> = {}) => ({ n, path: `/data/images/s/t-${n}.png`, mime: 'image/png', width: 512, height: 768, bytes: 1000 + n, ...over });

export function imageContract({ store }: ContractContext): void {
  describe('turn images', () => {
    it('links images to turns, lists them in story order, replaces a turn\'s images on re-run, and scopes reads to the story', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const other = await s.createStory({ title: 'O', premise: 'P' });
      const [t1, t2] = await chain(s, st.id, 2);
      const saved = await s.replaceTurnImages(t2!.id, 'a storm', [img(1), img(2, { width: null, height: null, mime: 'image/webp' })]);
      await s.replaceTurnImages(t1!.id, 'a calm sea', [img(1)]);
      expect(saved.map((i) => i.n)).toEqual([1, 2]);
      const all = await s.listTurnImages(st.id);
      expect(all.map((i) => [i.turnId, i.n])).toEqual([[t1!.id, 1], [t2!.id, 1], [t2!.id, 2]]);
      expect(all[2]).toMatchObject({ storyId: st.id, prompt: 'a storm', mime: 'image/webp', width: null, height: null, bytes: 1002 });
      expect(all[0]).toMatchObject({ depth: 1, width: 512, height: 768, prompt: "a calm sea" });
      expect(all[1]!.depth).toBe(2);
      expect(typeof all[0]!.createdAt).toBe('string');
      expect((await s.listTurnImages(st.id, { turnIds: [t2!.id] })).length).toBe(2);
      expect(await s.listTurnImages(st.id, { turnIds: [] })).toEqual([]);
      // A re-run of the job replaces, never duplicates.
      await s.replaceTurnImages(t2!.id, 'a storm, again', [img(1, { bytes: 7 })]);
      const again = await s.listTurnImages(st.id, { turnIds: [t2!.id] });
      expect(again).toEqual([expect.objectContaining({ n: 1, bytes: 7, prompt: 'a storm, again' })]);
      expect(await s.getTurnImage(st.id, again[0]!.id)).toMatchObject({ id: again[0]!.id, path: '/data/images/s/t-1.png' });
      // Another story's id does not reach this image.
      expect(await s.getTurnImage(other.id, again[0]!.id)).toBeNull();
      expect(await s.getTurnImage(st.id, 'nope')).toBeNull();
      // Deleting the story deletes its image rows.
      await s.deleteStory(st.id);
      expect(await s.listTurnImages(st.id)).toEqual([]);
    });

    it('a final failure fails a job at once, whatever attempts it has left', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [job] = await s.enqueueJobs([{ kind: 'image-prompt', storyId: st.id, turnId: null, maxAttempts: 5 }]);
      await s.claimJob('w', 60_000);
      expect(await s.failJob(job!.id, 'w', 'refused', 1000, true)).toMatchObject({ state: 'failed', attempts: 1, lastError: 'refused' });
    });
  });
}
