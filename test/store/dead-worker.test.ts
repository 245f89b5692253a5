import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holderId, holderIsGone, parseHolder } from '../../src/queue/holder.js';
import { StoreJobQueue } from '../../src/queue/store-queue.js';
import { openStore } from '../../src/store/open.js';
import type { Store } from '../../src/store/types.js';
import { createDb, dbNameOf, dropDb, migratedTemplate } from '../postgres/pg-helpers.js';

const worker = path.join(import.meta.dirname, 'hold-job-worker.ts');

/** A child that claims the job and hangs; resolves with it once it holds the job. */
function holdJob(url: string, home: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', worker, url, home], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const claimed = new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /claimed (\S+)\n/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`worker exited ${code} before claiming: ${out}`)));
  });
  return { child, claimed, exited };
}

describe('holder ids', () => {
  it('carry host and pid, once', () => {
    expect(holderId('dreamer-7', 'box', 42)).toBe('dreamer-7@box:42');
    expect(holderId('box:42', 'box', 42)).toBe('box:42');
    expect(parseHolder('dreamer-7@box:42')).toEqual({ host: 'box', pid: 42 });
    expect(parseHolder('bullmq')).toBeNull();
    expect(holderIsGone(holderId('me'))).toBe(false); // this very process
    expect(holderIsGone('w@another-host:1')).toBe(false); // cannot tell across hosts: the lock decides
  });
});

const dialects: [string, () => Promise<{ url: string; cleanup: () => Promise<void> }>][] = [
  ['sqlite', async () => ({ url: `sqlite:${path.join(mkdtempSync(path.join(tmpdir(), 'luna-dead-')), 'luna.db')}`, cleanup: async () => undefined })],
  ['postgres', async () => {
    const tpl = await migratedTemplate();
    const url = await createDb(undefined, tpl);
    return { url, cleanup: async () => { await dropDb(dbNameOf(url)); await dropDb(tpl); } };
  }],
];

describe.each(dialects)('a worker killed with -9 (%s)', (_name, make) => {
  let url = '';
  let cleanup = async () => undefined as void;
  let store: Store;
  const home = mkdtempSync(path.join(tmpdir(), 'luna-dead-home-'));
  beforeAll(async () => {
    ({ url, cleanup } = await make());
    store = await openStore({ url, poolSize: 2 }, home, { autoMigrateSqlite: true });
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await cleanup();
  }, 60_000);

  it('leaves its job to the next worker at once, not after the 2-minute lock; a live holder keeps it', async () => {
    const story = await store.createStory({ title: 'T', premise: 'P' });
    const [job] = await store.enqueueJobs([{ kind: 'embed-turn', storyId: story.id, turnId: null }]);
    const holder = holdJob(url, home);
    expect(await holder.claimed).toBe(job!.id);

    // While the holder lives, its job is its own.
    const seen: string[] = [];
    const queue = new StoreJobQueue(store);
    const idle = await queue.run(async (j) => void seen.push(j.id), { workerId: 'next', once: true });
    expect(idle).toEqual({ done: 0, failed: 0, retried: 0 });
    expect((await store.listJobs({ storyId: story.id }))[0]).toMatchObject({ state: 'running', lockedBy: expect.stringMatching(/^doomed@.+:\d+$/) });

    holder.child.kill('SIGKILL');
    await holder.exited;
    const tally = await queue.run(async (j) => void seen.push(j.id), { workerId: 'next', once: true });
    expect(tally.done).toBe(1);
    expect(seen).toEqual([job!.id]);
    expect((await store.listJobs({ storyId: story.id }))[0]).toMatchObject({ state: 'done', attempts: 2, lockedBy: null });
  }, 60_000);
});
