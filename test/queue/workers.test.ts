import { execa, type ResultPromise } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { BullJobQueue } from '../../src/queue/bullmq.js';
import { parseRedisQueue } from '../../src/queue/redis-url.js';
import { BIN, ROOT, luna } from '../helpers/cli.js';
import { dreamerCallsByTurn, queueFixture, seedTurns, until, type QueueFixture } from './helpers.js';

/**
 * Real `luna dream` processes (built CLI, temp LUNA_HOME, the real Redis, a loopback model server) sharing one
 * BullMQ queue and one SQLite store, as workers on several machines would share Redis and PostgreSQL.
 */

let fx: QueueFixture | undefined;
const children: ResultPromise[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) {
    if (c.exitCode === null && !c.killed) c.kill('SIGKILL');
    await c.catch(() => undefined);
  }
  await fx?.close();
  fx = undefined;
});

function dream(f: QueueFixture, args: string[], env: Record<string, string> = {}): ResultPromise {
  const child = execa('node', [BIN, 'dream', '--json', ...args], {
    cwd: ROOT, reject: false, timeout: 60_000, env: { LUNA_HOME: f.home, NO_COLOR: '1', ...env }, extendEnv: true,
  });
  children.push(child);
  return child;
}

async function bullJob(f: QueueFixture, id: string) {
  const q = await BullJobQueue.open(f.store, parseRedisQueue(f.queueUrl));
  try {
    const job = await q.queue.getJob(id);
    return { state: await job?.getState(), attemptsMade: job?.attemptsMade, stalledCounter: job?.stalledCounter, counts: await q.counts() };
  } finally {
    await q.close();
  }
}

// Child processes start slowly on a loaded 2-core machine: generous limits, never asserted on.
describe('luna dream workers over Redis', { timeout: 120_000 }, () => {
  it('three worker processes drain one queue and no job runs twice', async () => {
    fx = await queueFixture({ lockMs: 5000 });
    // Slow enough replies that the workers overlap instead of one taking everything.
    fx.model.setDefault({ kind: 'text', chunks: ['A lighthouse ', 'in fog, ', 'charcoal.'], delayMs: 40 });
    const { turnIds } = await seedTurns(fx.store, 12);
    const workers = [dream(fx, ['--once']), dream(fx, ['--once']), dream(fx, ['--once'])];
    const results = await Promise.all(workers);
    const reports = results.map((r) => {
      expect(r.exitCode, String(r.stderr)).toBe(0);
      return JSON.parse(String(r.stdout)) as { queue: string; done: number; failed: number; retried: number };
    });
    expect(reports.every((r) => r.queue === 'bullmq' && r.failed === 0 && r.retried === 0)).toBe(true);
    expect(reports.reduce((n, r) => n + r.done, 0)).toBe(12);
    // Handler executions, counted three ways: model requests, ledger rows per turn, stored prompts.
    expect(fx.model.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(12);
    const calls = await dreamerCallsByTurn(fx.store);
    expect(turnIds.map((t) => calls.get(t) ?? 0)).toEqual(Array(12).fill(1));
    expect(Object.keys(await fx.store.getImagePrompts(turnIds))).toHaveLength(12);
    const rows = await fx.store.listJobs();
    expect(rows.map((r) => `${r.state}/${r.attempts}`)).toEqual(Array(12).fill('done/1'));
    expect((await bullJob(fx, rows[0]!.id)).counts).toMatchObject({ completed: 12, waiting: 0, active: 0, failed: 0 });
  });

  it('a worker SIGKILLed mid-job: another takes the job over once the lock expires and completes it exactly once', async () => {
    fx = await queueFixture({ lockMs: 1500 });
    fx.model.script({ kind: 'hang' }); // the first worker's call never answers
    const { turnIds } = await seedTurns(fx.store, 1);
    const doomed = dream(fx, ['--poll', '200']);
    await until('the first worker to start the job', async () => fx!.model.requests.length >= 1);
    doomed.kill('SIGKILL');
    const killed = await doomed;
    expect(killed.signal).toBe('SIGKILL');
    const [row] = await fx.store.listJobs();
    expect(row).toMatchObject({ state: 'running', lockedBy: 'bullmq' });

    const rescuer = dream(fx, ['--poll', '200']);
    await until('the job to be done', async () => (await fx!.store.listJobs())[0]?.state === 'done');
    rescuer.kill('SIGTERM');
    const r = await rescuer;
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout))).toMatchObject({ queue: 'bullmq', done: 1, failed: 0 });

    expect(fx.model.requests.filter((q) => q.path === '/v1/chat/completions')).toHaveLength(2);
    expect((await dreamerCallsByTurn(fx.store)).get(turnIds[0]!)).toBe(1);
    expect(Object.keys(await fx.store.getImagePrompts(turnIds))).toEqual(turnIds);
    const bull = await bullJob(fx, row!.id);
    expect(bull).toMatchObject({ state: 'completed', attemptsMade: 1, stalledCounter: 1 });
    expect((await fx.store.listJobs())[0]).toMatchObject({ state: 'done', attempts: 1, lastError: null });
  });

  it('retries with exponential backoff, then the failure shows in `luna jobs --json` with BullMQ counts', async () => {
    fx = await queueFixture({ backoffMs: 100 });
    fx.model.setDefault({ kind: 'error', status: 500 });
    await seedTurns(fx.store, 1);
    const worker = dream(fx, ['--poll', '200']);
    await until('the job to fail for good', async () => (await fx!.store.listJobs())[0]?.state === 'failed');
    worker.kill('SIGTERM');
    const w = await worker;
    expect(w.exitCode, String(w.stderr)).toBe(0);
    expect(JSON.parse(String(w.stdout))).toMatchObject({ done: 0, retried: 2, failed: 1 });

    const jobs = await luna(['jobs', '--json'], { home: fx.home });
    expect(jobs.exitCode, jobs.stderr).toBe(0);
    const view = JSON.parse(jobs.stdout);
    expect(view.counts).toEqual({ queued: 0, running: 0, done: 0, failed: 1 });
    expect(view.jobs[0]).toMatchObject({ kind: 'image-prompt', state: 'failed', attempts: 3, maxAttempts: 3 });
    expect(view.jobs[0].lastError).toMatch(/500|server had an error/i);
    expect(view.bullmq).toMatchObject({ waiting: 0, active: 0, delayed: 0, failed: 1, completed: 0 });
    expect(fx.model.requests.filter((q) => q.path === '/v1/chat/completions')).toHaveLength(3);

    const plain = await luna(['jobs'], { home: fx.home });
    expect(plain.stdout).toContain('bullmq: waiting 0 · active 0 · delayed 0 · failed 1 · completed 0');
  });

  it('queue: store still runs the job table directly (`luna dream --once`), with no BullMQ in the picture', async () => {
    fx = await queueFixture();
    const { turnIds } = await seedTurns(fx.store, 2);
    const r = await dream(fx, ['--once'], { LUNA_QUEUE: 'store' });
    expect(r.exitCode, String(r.stderr)).toBe(0);
    expect(JSON.parse(String(r.stdout))).toMatchObject({ queue: 'store', done: 2, failed: 0 });
    expect((await fx.store.listJobs()).map((j) => `${j.state}/${j.attempts}/${j.lockedBy}`)).toEqual(['done/1/null', 'done/1/null']);
    expect(Object.keys(await fx.store.getImagePrompts(turnIds))).toHaveLength(2);
    const jobs = await luna(['jobs', '--json'], { home: fx.home, env: { LUNA_QUEUE: 'store' } });
    expect(JSON.parse(jobs.stdout)).not.toHaveProperty('bullmq');
    expect((await bullJob(fx, turnIds[0]!)).counts).toMatchObject({ waiting: 0, completed: 0 });
  });
});
