import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PostgresStore } from '../../src/store/postgres/index.js';
import { useMigratedDb } from './pg-helpers.js';

interface WorkerResult { committed: string[]; costUsd: number; busy: number; other: string[]; ms: number }

const worker = path.join(import.meta.dirname, 'turn-worker.ts');

/** Starts every worker, waits until all are ready, then releases them together. */
export async function runWorkers(url: string, jobs: { storyId: string; turns: number; cap?: number }[]): Promise<WorkerResult[]> {
  const procs = jobs.map((j) => {
    const args = ['--import', 'tsx', worker, url, j.storyId, String(j.turns), ...(j.cap !== undefined ? [String(j.cap)] : [])];
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const ready = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    }));
    const done = new Promise<WorkerResult>((resolve, reject) => child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`worker exited ${code}`));
      else resolve(JSON.parse(out.split('\n').filter(Boolean).at(-1)!) as WorkerResult);
    }));
    return { child, ready, done };
  });
  await Promise.all(procs.map((p) => p.ready));
  for (const p of procs) p.child.stdin.write('go\n');
  return Promise.all(procs.map((p) => p.done));
}

let url = '';
let store: PostgresStore;
useMigratedDb(4, (u, s) => {
  url = u;
  store = s;
});

/** The story's turns form one unbroken line: one leaf, depths 1..n, each turn's parent the one before. */
async function expectSingleLine(storyId: string, n: number): Promise<void> {
  const leaves = await store.listLeaves(storyId);
  expect(leaves).toHaveLength(1);
  const line = await store.getBranch(storyId, leaves[0]!.id);
  expect(line).toHaveLength(n);
  expect(await store.countTurns(storyId)).toBe(n);
  line.forEach((t, i) => {
    expect(t.depth).toBe(i + 1);
    expect(t.parentId).toBe(i === 0 ? null : line[i - 1]!.id);
  });
  expect((await store.getStory(storyId))?.headTurnId).toBe(leaves[0]!.id);
}

describe('concurrent turns on PostgreSQL (8 processes, real pipeline, instant models)', () => {
  it('8 processes × 50 turns on their own stories, then 8 racing on one story: nothing lost, nothing interleaved, ledger totals match', async () => {
    const own = await Promise.all(Array.from({ length: 8 }, (_, i) => store.createStory({ title: `own ${i}`, premise: 'Maren Vale hunts Korvin Ashe.' })));
    const shared = await store.createStory({ title: 'shared', premise: 'Maren Vale hunts Korvin Ashe.' });
    const ownResults = await runWorkers(url, own.map((s) => ({ storyId: s.id, turns: 50 })));
    const raceResults = await runWorkers(url, own.map(() => ({ storyId: shared.id, turns: 1_000, cap: 15 })));

    for (const [i, r] of ownResults.entries()) {
      expect(r.other).toEqual([]);
      expect(r.busy).toBe(0);
      expect(r.committed).toHaveLength(50);
      await expectSingleLine(own[i]!.id, 50);
      const line = await store.getBranchIds(own[i]!.id, (await store.getStory(own[i]!.id))!.headTurnId);
      expect(line).toEqual(r.committed);
    }

    for (const r of raceResults) expect(r.other).toEqual([]);
    const raced = raceResults.flatMap((r) => r.committed);
    const busy = raceResults.reduce((n, r) => n + r.busy, 0);
    expect(raced.length + busy).toBe(8 * 15);
    expect(raced.length).toBeGreaterThan(0);
    expect(new Set(raced).size).toBe(raced.length);
    await expectSingleLine(shared.id, raced.length);
    expect(new Set(await store.getBranchIds(shared.id, (await store.getStory(shared.id))!.headTurnId))).toEqual(new Set(raced));

    // Every call any process was charged for is in the ledger: committed turns' calls and busy turns' calls alike.
    const reported = [...ownResults, ...raceResults].reduce((n, r) => n + r.costUsd, 0);
    const [total] = await store.aggregateCalls([]);
    expect(total!.costUsd).toBeCloseTo(reported, 9);
    expect(total!.turns).toBe(8 * 50 + raced.length);
    const committedIds = new Set([...ownResults.flatMap((r) => r.committed), ...raced]);
    const rows = await store.listCalls();
    for (const c of rows) if (c.turnId !== null) expect(committedIds.has(c.turnId)).toBe(true);
    expect(rows.filter((c) => c.turnId === null).length).toBeGreaterThanOrEqual(busy);
  }, 300_000);
});
