import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { configSchema } from '../src/config/schema.js';
import { curateContext } from '../src/pipeline/preprocessor.js';
import { runTurn } from '../src/pipeline/run-turn.js';
import { withBranchCache } from '../src/store/branch-cache.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { timeAssembly } from './assembly-timing.js';
import { admin, PG_BASE } from './pg-admin.js';
import { instantCallAgent, SAMPLE_PLAN, SAMPLE_PROSE } from './instant-models.js';
import { generateStory } from './story-gen.js';

/**
 * Issue 8 (store half): turns committed per second with 1, 4 and 8 processes on SQLite and PostgreSQL
 * (real pipeline, instant scripted models: store and pipeline time only), and context assembly on a
 * 10,000-turn story on both. PostgreSQL at $LUNA_BENCH_PG (default postgres://postgres@127.0.0.1:5432).
 */
const TURNS_PER_PROCESS = 25;
const WORKER_FLAG = '--luna-bench-pg-worker';
const self = fileURLToPath(import.meta.url);
const config = configSchema.parse({
  agents: { preprocessor: { model: 'x' }, strategist: { model: 'x' }, writer: { model: 'x' }, dreamer: { model: 'x', imagePrompts: false } },
});

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-bench-pg-'));
  const dbName = `luna_bench_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${dbName}`);
  const pgUrl = `${PG_BASE}/${dbName}`;
  const sqliteUrl = `sqlite:${path.join(dir, 'bench.db')}`;
  try {
    const stores = { sqlite: await open(sqliteUrl, true), postgres: await open(pgUrl, true) };
    const turnsPerSec: Record<string, Record<string, number>> = { sqlite: {}, postgres: {} };
    for (const procs of [1, 4, 8]) {
      for (const [name, url] of [['sqlite', sqliteUrl], ['postgres', pgUrl]] as const) {
        const stories = await Promise.all(Array.from({ length: procs }, (_, i) => stores[name].createStory({ title: `bench ${procs}/${i}`, premise: 'Maren Vale hunts Korvin Ashe.' })));
        const wallMs = await workers(url, stories.map((s) => s.id));
        turnsPerSec[name]![`${procs}_processes`] = Math.round((procs * TURNS_PER_PROCESS) / (wallMs / 1000));
      }
    }
    const assembly: Record<string, unknown> = {};
    const gen = generateStory({ turns: 10_000, facts: Array.from({ length: 30 }, (_, i) => ({ turn: 9_999 - i * 320 })), seed: 10_000 });
    for (const [name, store] of Object.entries(stores)) {
      const t0 = performance.now();
      const story = await store.importStory(gen.bundle);
      const importMs = performance.now() - t0;
      // The first calls pay each pooled connection's one-time costs (the text search dictionaries, PL/pgSQL
      // compiling the read functions): reported apart, then cold and steady as the recall bench measures them.
      const c0 = performance.now();
      await curateContext({ store, story, headId: story.headTurnId, action: gen.facts[0]!.probe, config: config.context });
      const firstCallMs = performance.now() - c0;
      const timing = await timeAssembly((i) => curateContext({ store, story, headId: story.headTurnId, action: gen.facts[i % gen.facts.length]!.probe, config: config.context }));
      assembly[name] = { ...timing, firstCallMs: Math.round(firstCallMs), importMs: Math.round(importMs) };
    }
    await stores.sqlite.close();
    await stores.postgres.close();
    return {
      turnsPerSecond: turnsPerSec,
      turnsPerProcess: TURNS_PER_PROCESS,
      contextAssembly10kTurns: assembly,
      note: 'instant scripted models; each process plays its own story; 2-core machine shared with the database server',
    };
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}

async function open(url: string, migrate: boolean): Promise<Store> {
  if (url.startsWith('postgres')) {
    const { openPostgresStore } = await import('../src/store/postgres/index.js');
    // As `openStore` does for every front end: branch walks are memoised (see src/store/branch-cache.ts).
    return withBranchCache(await openPostgresStore(url, { poolSize: 3, autoMigrate: migrate }));
  }
  return openStore({ url, poolSize: 1 }, tmpdir(), { autoMigrateSqlite: migrate });
}


/** Starts one process per story, releases them together once all are ready, returns the wall time of the turns. */
async function workers(url: string, storyIds: string[]): Promise<number> {
  const execArgs = self.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const procs = storyIds.map((id) => {
    const child = spawn(process.execPath, [...execArgs, self, WORKER_FLAG, url, id], { stdio: ['pipe', 'pipe', 'inherit'] });
    let out = '';
    const ready = new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('ready\n')) resolve();
    }));
    const done = new Promise<void>((resolve, reject) => child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`bench worker exited ${code}: ${out}`)))));
    return { child, ready, done };
  });
  await Promise.all(procs.map((p) => p.ready));
  const t0 = performance.now();
  for (const p of procs) p.child.stdin.write('go\n');
  await Promise.all(procs.map((p) => p.done));
  return performance.now() - t0;
}

async function worker(url: string, storyId: string): Promise<void> {
  const store = await open(url, false);
  const callAgent = instantCallAgent({ plan: SAMPLE_PLAN, prose: SAMPLE_PROSE });
  process.stdout.write('ready\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  for (let i = 0; i < TURNS_PER_PROCESS; i++) {
    for await (const e of runTurn({ storyId, action: `Maren presses on (${i})` }, { store, config, callAgent })) {
      if (e.type === 'error') throw new Error(e.message);
    }
  }
  await store.close();
  process.stdin.destroy();
}

if (process.argv[2] === WORKER_FLAG && path.resolve(process.argv[1] ?? '') === self) {
  await worker(process.argv[3]!, process.argv[4]!);
}
