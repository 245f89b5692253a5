import { describe, expect, it } from 'vitest';
import { LunaError } from '../../src/errors.js';
import type { BurstInstance, Job } from '../../src/store/types.js';
import type { ContractContext } from './contract.js';
import { chain, sleep } from './fixtures.js';

function instance(over: Partial<BurstInstance> = {}): BurstInstance {
  return {
    id: 'b1', name: 'luna-default-b1', deployment: 'default', provider: 'runpod', providerInstanceId: null, gpuType: 'A100', gpuCount: 1,
    pricePerHour: 1.89, state: 'launching', endpoint: null, apiKey: null, serves: ['writer-big'], launchedAt: '2026-04-01T10:00:00.000Z',
    readyAt: null, lastActiveAt: null, terminatedAt: null, billedUntil: null, lastError: null, ...over,
  };
}

export function jobAndBurstContract({ store }: ContractContext): void {
  describe('jobs', () => {
    it('hands queued rows to an outside queue once, and mirrors its outcomes without reopening done rows', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [a, b, c] = await s.enqueueJobs([
        { kind: 'arc-summary', storyId: st.id, turnId: null },
        { kind: 'image-prompt', storyId: st.id, turnId: null },
        { kind: 'story-summary', storyId: st.id, turnId: null },
      ]);
      const claimed = await s.claimJob('w1', 60_000, ['story-summary']);
      expect(claimed?.id).toBe(c!.id);
      // Only rows still queued are handed over; a second relay of the same ids is a no-op.
      expect((await s.markJobsRelayed([a!.id, b!.id, c!.id], 'bullmq')).sort()).toEqual([a!.id, b!.id].sort());
      expect(await s.markJobsRelayed([a!.id, b!.id], 'bullmq')).toEqual([]);
      expect(await s.claimJob('w2', 60_000)).toBeNull();
      expect((await s.listJobs({ state: 'running' })).find((j) => j.id === a!.id)?.lockedBy).toBe('bullmq');
      await s.mirrorJob(a!.id, { state: 'done', attempts: 1, lastError: null });
      await s.mirrorJob(a!.id, { state: 'failed', attempts: 2, lastError: 'late duplicate' });
      await s.mirrorJob(b!.id, { state: 'failed', attempts: 3, lastError: 'model down' });
      const jobs = await s.listJobs({ storyId: st.id });
      expect(jobs.find((j) => j.id === a!.id)).toMatchObject({ state: 'done', attempts: 1, lockedBy: null });
      expect(jobs.find((j) => j.id === b!.id)).toMatchObject({ state: 'failed', attempts: 3, lastError: 'model down', lockedBy: null });
    });

    it('enqueues, claims, completes and counts', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [t] = await chain(s, st.id, 1);
      const [a, b] = await s.enqueueJobs([
        { kind: 'arc-summary', storyId: st.id, turnId: t!.id, payload: { from: 1 } },
        { kind: 'story-summary', storyId: st.id, turnId: null, maxAttempts: 5 },
      ]);
      expect(a).toMatchObject({ state: 'queued', attempts: 0, payload: { from: 1 }, turnId: t!.id, lockedBy: null });
      expect(b!.maxAttempts).toBe(5);
      expect(await s.jobCounts(st.id)).toEqual({ queued: 2, running: 0, done: 0, failed: 0 });
      const c1 = await s.claimJob('w1', 60_000);
      expect(c1).toMatchObject({ id: a!.id, state: 'running', lockedBy: 'w1', attempts: 1 });
      expect(Date.parse(c1!.lockedUntil!)).toBeGreaterThan(Date.now());
      const c2 = await s.claimJob('w2', 60_000, ['arc-summary']);
      expect(c2).toBeNull();
      const c3 = await s.claimJob('w2', 60_000, ['story-summary', 'image-prompt']);
      expect(c3?.id).toBe(b!.id);
      await s.completeJob(a!.id, 'w1');
      await expect(s.completeJob(b!.id, 'w1')).rejects.toBeInstanceOf(LunaError);
      expect(await s.jobCounts(st.id)).toEqual({ queued: 0, running: 1, done: 1, failed: 0 });
      expect(await s.jobCounts()).toEqual({ queued: 0, running: 1, done: 1, failed: 0 });
      expect((await s.listJobs({ state: 'done' })).map((j) => j.id)).toEqual([a!.id]);
      expect(await s.listJobs({ storyId: st.id, limit: 1 })).toHaveLength(1);
      expect(await s.claimJob('w3', 60_000)).toBeNull();
    });

    it('never hands the same job to two concurrent claimers', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      await s.enqueueJobs(Array.from({ length: 40 }, (_, i) => ({ kind: 'embed-turn' as const, storyId: st.id, turnId: null, payload: { i } })));
      const seen: string[] = [];
      const worker = async (name: string) => {
        for (;;) {
          const j = await s.claimJob(name, 60_000);
          if (!j) return;
          seen.push(j.id);
          await s.completeJob(j.id, name);
        }
      };
      await Promise.all(['w1', 'w2', 'w3', 'w4'].map(worker));
      expect(seen).toHaveLength(40);
      expect(new Set(seen).size).toBe(40);
      expect((await s.jobCounts(st.id)).done).toBe(40);
    });

    it('retries with backoff, then marks failed after maxAttempts', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [job] = await s.enqueueJobs([{ kind: 'entity-sheet', storyId: st.id, turnId: null, maxAttempts: 2 }]);
      const c = await s.claimJob('w1', 60_000);
      const failed1: Job = await s.failJob(c!.id, 'w1', 'model timed out', 60_000);
      expect(failed1).toMatchObject({ state: 'queued', attempts: 1, lastError: 'model timed out', lockedBy: null });
      expect(Date.parse(failed1.runAfter)).toBeGreaterThan(Date.now() + 30_000);
      expect(await s.claimJob('w1', 60_000)).toBeNull();
      const [other] = await s.enqueueJobs([{ kind: 'entity-sheet', storyId: st.id, turnId: null, maxAttempts: 2 }]);
      const again = await s.claimJob('w1', 60_000);
      expect(again?.id).toBe(other!.id);
      const f = await s.failJob(other!.id, 'w1', 'e1', 0);
      expect(f.state).toBe('queued');
      await sleep(5);
      const second = await s.claimJob('w2', 60_000);
      expect(second).toMatchObject({ id: other!.id, attempts: 2 });
      const final = await s.failJob(other!.id, 'w2', 'e2', 0);
      expect(final).toMatchObject({ state: 'failed', attempts: 2, lastError: 'e2' });
      expect(await s.claimJob('w3', 60_000)).toBeNull();
      expect((await s.jobCounts()).failed).toBe(1);
      expect((await s.listJobs({ state: 'queued' })).map((j) => j.id)).toEqual([job!.id]);
    });

    it('lets another worker reclaim a job whose lock expired, and the old worker can no longer finish it', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [job] = await s.enqueueJobs([{ kind: 'image-prompt', storyId: st.id, turnId: null }]);
      const first = await s.claimJob('dead-worker', 1);
      expect(first?.id).toBe(job!.id);
      await sleep(20);
      const second = await s.claimJob('w2', 60_000);
      expect(second).toMatchObject({ id: job!.id, lockedBy: 'w2', attempts: 2 });
      await expect(s.completeJob(job!.id, 'dead-worker')).rejects.toBeInstanceOf(LunaError);
      await s.completeJob(job!.id, 'w2');
      expect((await s.listJobs())[0]!.state).toBe('done');
    });

    it('extends a held job\'s lock for its holder only', async () => {
      const s = store();
      const st = await s.createStory({ title: 'T', premise: 'P' });
      const [job] = await s.enqueueJobs([{ kind: 'image-prompt', storyId: st.id, turnId: null }]);
      await s.claimJob('w1', 200);
      await s.extendJobLock(job!.id, 'w1', 60_000);
      await sleep(250);
      expect(await s.claimJob('w2', 60_000)).toBeNull();
      expect(Date.parse((await s.listJobs())[0]!.lockedUntil!)).toBeGreaterThan(Date.now() + 50_000);
      await expect(s.extendJobLock(job!.id, 'w2', 60_000)).rejects.toBeInstanceOf(LunaError);
      await s.completeJob(job!.id, 'w1');
      await expect(s.extendJobLock(job!.id, 'w1', 60_000)).rejects.toBeInstanceOf(LunaError);
    });
  });

  describe('burst instances', () => {
    it('saves, updates and lists instances by deployment and activity', async () => {
      const s = store();
      await s.saveBurstInstance(instance());
      await s.saveBurstInstance(instance({ id: 'b2', name: 'luna-default-b2', launchedAt: '2026-04-01T11:00:00.000Z' }));
      await s.saveBurstInstance(instance({ id: 'b3', deployment: 'staging', provider: 'vast', serves: [] }));
      expect(await s.getBurstInstance('b1')).toEqual(instance());
      const ready = instance({
        state: 'ready', providerInstanceId: 'pod-77', endpoint: 'http://10.0.0.5:8000/v1', apiKey: 'k-123', readyAt: '2026-04-01T10:05:00.000Z',
        lastActiveAt: '2026-04-01T10:06:00.000Z', billedUntil: '2026-04-01T10:06:00.000Z',
      });
      await s.saveBurstInstance(ready);
      expect(await s.getBurstInstance('b1')).toEqual(ready);
      await s.saveBurstInstance(instance({ id: 'b2', name: 'luna-default-b2', state: 'terminated', terminatedAt: '2026-04-01T12:00:00.000Z', launchedAt: '2026-04-01T11:00:00.000Z' }));
      expect((await s.listBurstInstances()).map((i) => i.id).sort()).toEqual(['b1', 'b2', 'b3']);
      expect((await s.listBurstInstances({ deployment: 'default' })).map((i) => i.id)).toEqual(['b1', 'b2']);
      expect((await s.listBurstInstances({ deployment: 'default', activeOnly: true })).map((i) => i.id)).toEqual(['b1']);
      expect(await s.getBurstInstance('missing')).toBeNull();
    });
  });
}
