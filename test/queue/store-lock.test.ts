import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { StoreJobQueue } from '../../src/queue/store-queue.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { Job, Store } from '../../src/store/types.js';

/**
 * The store-table queue renews a running job's lock, so a job longer than its lock (a ComfyUI render runs up
 * to 10 min against a 2 min lock) is never taken over and paid for twice; a worker that lost its job stops.
 */
describe('store queue: a running job keeps its lock', () => {
  const dirs: string[] = [];
  const stores: Store[] = [];
  afterEach(async () => {
    await Promise.all(stores.splice(0).map((s) => s.close()));
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const open = async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'luna-lock-'));
    dirs.push(dir);
    const store = await openSqliteStore(path.join(dir, 'luna.db'), { autoMigrate: true });
    stores.push(store);
    const story = await store.createStory({ title: 'Lock', premise: 'p' });
    const [job] = await store.enqueueJobs([{ kind: 'image-prompt', storyId: story.id, turnId: null }]);
    return { store, job: job! };
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('a job running three times its lock is not claimed by another worker, and completes once', async () => {
    const { store, job } = await open();
    const runs: string[] = [];
    const stolen: (Job | null)[] = [];
    let running = true;
    const thief = (async () => {
      while (running) {
        await sleep(100);
        if (running) stolen.push(await store.claimJob('thief', 300));
      }
    })();
    const tally = await new StoreJobQueue(store).run(async (j) => {
      runs.push(j.id);
      await sleep(1000);
    }, { workerId: 'w1', lockMs: 300 });
    running = false;
    await thief;
    expect(tally).toEqual({ done: 1, failed: 0, retried: 0 });
    expect(runs).toEqual([job.id]);
    expect(stolen.length).toBeGreaterThan(3);
    expect(stolen.filter(Boolean)).toEqual([]);
    expect((await store.listJobs())[0]).toMatchObject({ state: 'done', attempts: 1 });
  });

  it('a worker whose renewals failed and whose job was taken over is stopped and does not complete it', async () => {
    const { store, job } = await open();
    // The database is out of reach for this worker for longer than the lock: its renewals fail until another worker took the job.
    let down = true;
    const flaky = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'extendJobLock') {
          return async (...args: Parameters<Store['extendJobLock']>) => {
            if (down) throw new Error('connection refused');
            return target.extendJobLock(...args);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    let aborted: unknown = null;
    const warnings: string[] = [];
    let taken: Job | null = null;
    const tally = await new StoreJobQueue(flaky).run(async (_j, signal) => {
      await sleep(450); // past the 300 ms lock with no renewal
      taken = await store.claimJob('rescuer', 60_000);
      down = false;
      await new Promise<void>((resolve) => {
        if (signal.aborted) return resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
        setTimeout(resolve, 3000);
      });
      aborted = signal.reason;
    }, { workerId: 'w1', lockMs: 300, onWarning: (m) => warnings.push(m) });
    expect(warnings).toEqual([expect.stringMatching(/was taken over by another worker while it ran/)]);
    expect(taken).toMatchObject({ id: job.id, lockedBy: 'rescuer', attempts: 2 });
    expect(String(aborted)).toMatch(/not held by worker/);
    expect(tally.done).toBe(0);
    expect((await store.listJobs())[0]).toMatchObject({ state: 'running', lockedBy: 'rescuer' });
    await store.completeJob(job.id, 'rescuer');
    expect((await store.listJobs())[0]).toMatchObject({ state: 'done', attempts: 2 });
  });
});
