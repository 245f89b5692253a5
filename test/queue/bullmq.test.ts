import { afterEach, describe, expect, it } from 'vitest';
import { DatabaseError } from '../../src/errors.js';
import { combineEndpointSources } from '../../src/models/endpoints.js';
import { drainJobs } from '../../src/pipeline/dreamer.js';
import { BullJobQueue } from '../../src/queue/bullmq.js';
import { openJobQueue, relayAfterCommit } from '../../src/queue/open.js';
import { parseRedisQueue } from '../../src/queue/redis-url.js';
import { createSession, type Session } from '../../src/runtime/session.js';
import { dreamerCallsByTurn, queueFixture, seedTurns, until, type QueueFixture } from './helpers.js';

let fx: QueueFixture | undefined;
let session: Session | undefined;
const opened: BullJobQueue[] = [];

afterEach(async () => {
  for (const q of opened.splice(0)) await q.close();
  await session?.close();
  session = undefined;
  await fx?.close();
  fx = undefined;
});

async function open(f: QueueFixture): Promise<BullJobQueue> {
  const q = await BullJobQueue.open(f.store, parseRedisQueue(f.queueUrl));
  opened.push(q);
  return q;
}

describe('outbox relay into BullMQ', () => {
  it('publishes each committed job once, under its store id, however often and from however many relays', async () => {
    fx = await queueFixture();
    await seedTurns(fx.store, 4, ['image-prompt', 'entity-sheet']);
    const rows = await fx.store.listJobs({ state: 'queued' });
    expect(rows).toHaveLength(8);
    const [a, b] = [await open(fx), await open(fx)];
    // A relay that published and died before marking the rows: the next relays publish the same rows again.
    await a.publish(rows);
    await a.publish(rows);
    const [na, nb] = await Promise.all([a.relay(), b.relay()]);
    expect(na + nb).toBe(8);
    const counts = await a.counts();
    expect(counts.waiting).toBe(8);
    const inRedis = (await a.queue.getJobs(['waiting'])).map((j) => j.id).sort();
    expect(inRedis).toEqual(rows.map((r) => r.id).sort());
    const after = await fx.store.listJobs();
    expect(after.every((j) => j.state === 'running' && j.lockedBy === 'bullmq' && j.lockedUntil === null)).toBe(true);
    expect(await a.relay()).toBe(0);
    // Store-table workers leave rows that BullMQ owns alone.
    expect(await fx.store.claimJob('store-worker', 1)).toBeNull();
  });

  it('relays right after a commit for front ends that play turns in-process; a no-op for the store queue', async () => {
    fx = await queueFixture();
    await seedTurns(fx.store, 2);
    expect(await relayAfterCommit('store', fx.store)).toBe(0);
    expect((await fx.store.jobCounts()).queued).toBe(2);
    expect(await relayAfterCommit(fx.queueUrl, fx.store)).toBe(2);
    expect(await fx.store.jobCounts()).toMatchObject({ queued: 0, running: 2 });
    expect((await (await open(fx)).counts()).waiting).toBe(2);
  });

  it('fails with a database error naming the URL (password masked) when Redis cannot be reached', async () => {
    fx = await queueFixture();
    const err = await openJobQueue('redis://luna:hunter2secret@127.0.0.1:1', fx.store).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as Error).message).toMatch(/cannot reach the redis queue at redis:\/\/luna:…@127\.0\.0\.1:1.*ECONNREFUSED/);
    expect((err as Error).message).not.toContain('hunter2secret');
  });

  it('keeps the store backend for `queue: store` and refuses an unknown queue', async () => {
    fx = await queueFixture();
    const q = await openJobQueue('store', fx.store);
    expect(q.backend).toBe('store');
    expect(await q.counts()).toBeNull();
    await expect(openJobQueue('amqp://127.0.0.1', fx.store)).rejects.toThrow(/expected "store" or a redis:\/\/ URL/);
  });
});

describe('Dreamer over BullMQ', () => {
  it('drains the queue with real Dreamer work and mirrors each outcome onto the store row', async () => {
    fx = await queueFixture();
    const { turnIds } = await seedTurns(fx.store, 4);
    session = await createSession(fx.store, fx.loaded, { endpoints: combineEndpointSources([]) });
    const seen: string[] = [];
    // No queue passed: drainJobs opens the one config `queue:` names (redis), relays, and runs until drained.
    const tally = await drainJobs(session.deps, { workerId: 'in-process', onJob: (job, outcome) => seen.push(`${job.kind}:${outcome}`) });
    expect(tally).toEqual({ done: 4, failed: 0, retried: 0 });
    expect(seen).toEqual(Array(4).fill('image-prompt:done'));
    const rows = await fx.store.listJobs();
    expect(rows.map((r) => [r.state, r.attempts, r.lockedBy])).toEqual(Array(4).fill(['done', 1, null]));
    const prompts = await fx.store.getImagePrompts(turnIds);
    expect(Object.keys(prompts).sort()).toEqual([...turnIds].sort());
    expect(prompts[turnIds[0]!]).toContain('lighthouse');
    const calls = await dreamerCallsByTurn(fx.store);
    expect(turnIds.map((t) => calls.get(t))).toEqual([1, 1, 1, 1]);
    const q = await open(fx);
    expect((await q.counts()).completed).toBe(4);
  });

  it('retries a failing job with backoff, then marks it failed with the error in both places', async () => {
    fx = await queueFixture({ backoffMs: 50 });
    fx.model.setDefault({ kind: 'error', status: 500 });
    const { turnIds } = await seedTurns(fx.store, 1);
    session = await createSession(fx.store, fx.loaded, { endpoints: combineEndpointSources([]) });
    const controller = new AbortController();
    const outcomes: string[] = [];
    const running = drainJobs({ ...session.deps, signal: controller.signal }, {
      workerId: 'w', once: false, pollMs: 200,
      onJob: (_job, outcome) => { outcomes.push(outcome); if (outcome === 'failed') controller.abort(); },
    });
    const tally = await running;
    expect(tally).toEqual({ done: 0, failed: 1, retried: 2 });
    expect(outcomes).toEqual(['retry', 'retry', 'failed']);
    const [row] = await fx.store.listJobs();
    expect(row).toMatchObject({ state: 'failed', attempts: 3, maxAttempts: 3, lockedBy: null });
    expect(row!.lastError).toMatch(/500|server had an error/i);
    const q = await open(fx);
    const bull = await q.queue.getJob(row!.id);
    expect(bull?.attemptsMade).toBe(3);
    expect(await bull?.getState()).toBe('failed');
    expect(bull?.failedReason).toBe(row!.lastError);
    expect(bull?.opts.backoff).toEqual({ type: 'exponential', delay: 50, jitter: 0.5 });
    expect(bull?.opts.attempts).toBe(3);
    expect(fx.model.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(3);
    expect(await fx.store.getImagePrompts(turnIds)).toEqual({});
  });

  it('a permanent failure (e.g. ComfyUI refusing the workflow) fails the job at once, without spending its other attempts', async () => {
    fx = await queueFixture({ backoffMs: 50 });
    await seedTurns(fx.store, 1);
    const q = await open(fx);
    expect(await q.relay()).toBe(1);
    const controller = new AbortController();
    const outcomes: string[] = [];
    let calls = 0;
    const tally = await q.run(async () => {
      calls++;
      throw Object.assign(new Error('ComfyUI refused the workflow: node 6 (CLIPTextEncode): Required input is missing: clip'), { permanent: true });
    }, { workerId: 'w', once: false, pollMs: 200, signal: controller.signal, onJob: (_j, outcome) => { outcomes.push(outcome); controller.abort(); } });
    expect(calls).toBe(1);
    expect(outcomes).toEqual(['failed']);
    expect(tally).toEqual({ done: 0, failed: 1, retried: 0 });
    const [row] = await fx.store.listJobs();
    expect(row).toMatchObject({ state: 'failed', attempts: 1, lockedBy: null });
    expect(row!.lastError).toMatch(/^ComfyUI refused the workflow: node 6/);
    expect(await (await q.queue.getJob(row!.id))?.getState()).toBe('failed');
  });

  it('a worker start gives jobs back to a Redis that lost them, with the attempts they had left', async () => {
    fx = await queueFixture({ backoffMs: 50 });
    fx.model.script({ kind: 'error', status: 500 });
    const { turnIds } = await seedTurns(fx.store, 2);
    const q = await open(fx);
    expect(await q.relay()).toBe(2);
    session = await createSession(fx.store, fx.loaded, { endpoints: combineEndpointSources([]) });
    // One failed attempt is mirrored onto its row, then Redis loses everything (restart without persistence).
    await drainJobs(session.deps, { workerId: 'w', queue: q, maxJobs: 1 });
    const failedOnce = (await fx.store.listJobs()).find((r) => r.attempts === 1)!;
    expect(failedOnce).toMatchObject({ state: 'running', lockedBy: 'bullmq' });
    await q.obliterate();
    const after = await q.counts();
    expect((after.waiting ?? 0) + (after.delayed ?? 0)).toBe(0);
    const tally = await drainJobs(session.deps, { workerId: 'after-restart', queue: q });
    expect(tally).toEqual({ done: 2, failed: 0, retried: 0 });
    const rows = await fx.store.listJobs();
    expect(rows.map((r) => r.state)).toEqual(['done', 'done']);
    expect(rows.find((r) => r.id === failedOnce.id)?.attempts).toBe(2);
    expect((await q.queue.getJob(failedOnce.id))?.opts.attempts).toBe(2);
    expect(Object.keys(await fx.store.getImagePrompts(turnIds))).toHaveLength(2);
  });

  it('hands an interrupted job back without spending an attempt; the next worker completes it', async () => {
    fx = await queueFixture();
    fx.model.script({ kind: 'hang' });
    await seedTurns(fx.store, 1);
    session = await createSession(fx.store, fx.loaded, { endpoints: combineEndpointSources([]) });
    const controller = new AbortController();
    const first = drainJobs({ ...session.deps, signal: controller.signal }, { workerId: 'leaving', once: false });
    await until('the model call to start', async () => fx!.model.requests.length > 0);
    controller.abort();
    expect(await first).toEqual({ done: 0, failed: 0, retried: 0 });
    const q = await open(fx);
    const [row] = await fx.store.listJobs();
    expect(row).toMatchObject({ state: 'running', attempts: 0, lockedBy: 'bullmq' });
    expect(await (await q.queue.getJob(row!.id))?.getState()).toBe('waiting');
    const tally = await drainJobs(session.deps, { workerId: 'next', queue: q });
    expect(tally.done).toBe(1);
    expect((await fx.store.listJobs())[0]).toMatchObject({ state: 'done', attempts: 1 });
  });
});

describe('queue URL', () => {
  it('reads BullMQ settings from the query and masks the password', () => {
    const s = parseRedisQueue('redis://luna:hunter2secret@10.0.0.5:6380/2?name=dreams&prefix=prod&lockMs=5000&backoffMs=100&concurrency=4');
    expect(s.connection).toEqual({ host: '10.0.0.5', port: 6380, db: 2, username: 'luna', password: 'hunter2secret' });
    expect(s).toMatchObject({ name: 'dreams', prefix: 'prod', lockMs: 5000, backoffMs: 100, concurrency: 4 });
    expect(s.display).not.toContain('hunter2secret');
    const d = parseRedisQueue('redis://127.0.0.1');
    expect(d).toMatchObject({ name: 'luna-dreamer', prefix: 'luna', lockMs: 30_000, backoffMs: 2000, concurrency: 1 });
    expect(() => parseRedisQueue('redis://h?lockMS=1')).toThrow(/unknown option "lockMS"/);
    expect(() => parseRedisQueue('redis://h?concurrency=0')).toThrow(/concurrency expects a whole number ≥ 1/);
  });
});
