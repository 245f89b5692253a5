import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { contextSchema } from '../src/config/schema.js';
import { curateContext } from '../src/pipeline/preprocessor.js';
import { withBranchCache } from '../src/store/branch-cache.js';
import { openStore } from '../src/store/open.js';
import { openPostgresStore } from '../src/store/postgres/index.js';
import { DEFAULT_ACCOUNT_ID, type Store } from '../src/store/types.js';
import { admin, PG_BASE } from './pg-admin.js';
import { pct, timeAssembly, type AssemblyTiming } from './assembly-timing.js';
import { FACT_KINDS, generateRecallStory } from './recall-gen.js';

/**
 * Recall: does the Preprocessor's context (what `luna context` shows, what the Writer reads) contain a fact
 * stated once in prose, hundreds or thousands of turns back? Generated stories of 600, 5,000 and 20,000 turns
 * (bench/recall-gen.ts); each question is the player's action. Also the context's share of the history and
 * context-assembly p50 at 10,000 turns on SQLite and PostgreSQL, cold and steady (bench/assembly-timing.ts).
 * LUNA_BENCH_RECALL_FAST=1: 600 / 2,000 / 5,000 turns, a sample of the questions, 3,000-turn timing story.
 */
const FAST = process.env.LUNA_BENCH_RECALL_FAST === '1';
const SIZES = FAST ? [600, 2_000, 5_000] : [600, 5_000, 20_000];
const TIMING_TURNS = FAST ? 3_000 : 10_000;
/** The default context budget: recall is measured with what every turn gets. */
const config = contextSchema.parse({});

type Tally = { asked: number; recalled: number };
const pctOf = (t: Tally) => (t.asked ? Math.round((1000 * t.recalled) / t.asked) / 10 : 0);

async function measure(store: Store, turns: number, sample: number): Promise<Record<string, unknown>> {
  const gen = generateRecallStory({ turns, seed: turns });
  const story = await store.importStory(gen.bundle);
  const questions = gen.questions.filter((_, i) => i % sample === 0);
  const byTier: Record<string, Tally> = {};
  const byKind: Record<string, Tally> = {};
  const all: Tally = { asked: 0, recalled: 0 };
  const misses: { action: string; expect: string }[] = [];
  let share = 0;
  const times: number[] = [];
  for (const q of questions) {
    const t0 = performance.now();
    const curated = await curateContext({ store, story, headId: story.headTurnId, action: q.action, config });
    times.push(performance.now() - t0);
    const ok = curated.text.includes(q.expect);
    for (const t of [all, (byTier[q.tier] ??= { asked: 0, recalled: 0 }), (byKind[q.kind] ??= { asked: 0, recalled: 0 })]) {
      t.asked++;
      if (ok) t.recalled++;
    }
    if (!ok && misses.length < 8) misses.push({ action: q.action, expect: q.expect });
    share += curated.context.totalTokens / Math.max(1, curated.context.historyTokens);
  }
  return {
    turns,
    questions: all.asked,
    recallPct: pctOf(all),
    byTierPct: Object.fromEntries(Object.entries(byTier).map(([k, v]) => [k, pctOf(v)])),
    byKindPct: Object.fromEntries(FACT_KINDS.filter((k) => byKind[k]).map((k) => [k, pctOf(byKind[k]!)])),
    contextShareOfHistoryPct: Math.round((1000 * share) / Math.max(1, all.asked)) / 10,
    assemblyP50Ms: pct(times, 0.5),
    misses,
  };
}

async function timing(store: Store, storyTurns: number): Promise<AssemblyTiming & { importMs: number }> {
  const gen = generateRecallStory({ turns: storyTurns, seed: 99 });
  const t0 = performance.now();
  const story = await store.importStory(gen.bundle);
  const importMs = Math.round(performance.now() - t0);
  const ask = gen.questions;
  const timing = await timeAssembly((i) => curateContext({ store, story, headId: story.headTurnId, action: ask[i % ask.length]!.action, config }));
  return { ...timing, importMs };
}

export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-bench-recall-'));
  const dbName = `luna_bench_recall_${randomBytes(4).toString('hex')}`;
  let pgReady = false;
  try {
    const sqlite = await openStore({ url: `sqlite:${path.join(dir, 'recall.db')}`, poolSize: 1 }, dir, { autoMigrateSqlite: true });
    const recall: Record<string, unknown>[] = [];
    for (const turns of SIZES) {
      process.stderr.write(`  recall at ${turns} turns…\n`);
      recall.push(await measure(sqlite, turns, FAST && turns > 2_000 ? 2 : 1));
    }
    const assembly: Record<string, unknown> = { turns: TIMING_TURNS, sqlite: await timing(sqlite, TIMING_TURNS) };
    await sqlite.close();
    try {
      await admin(`CREATE DATABASE ${dbName}`);
      pgReady = true;
      const pg = await openStore({ url: `${PG_BASE}/${dbName}`, poolSize: 4 }, dir, {});
      try {
        await pg.migrateUp();
        assembly.postgres = await timing(pg, TIMING_TURNS);
        // The same through an account's scope (row-level security), as `luna api` with keys reads.
        const base = await openPostgresStore(`${PG_BASE}/${dbName}`, { poolSize: 4 });
        try {
          assembly.postgresTenant = await timing(withBranchCache(base.forAccount(DEFAULT_ACCOUNT_ID)), TIMING_TURNS);
        } finally {
          await base.close();
        }
        // Same figures on PostgreSQL (its own ranking) at the smallest size, so both dialects are measured.
        assembly.postgresRecall600 = await measure(pg, SIZES[0]!, 1);
      } finally {
        await pg.close();
      }
    } catch (err) {
      assembly.postgres = `skipped: ${(err as Error).message}`;
    }
    return {
      mode: FAST ? 'fast (LUNA_BENCH_RECALL_FAST=1)' : 'full',
      budgetTokens: config.budgetTokens,
      recall,
      assembly,
      goals: {
        recall600And5000: '≥ 98% overall, ≥ 95% indirect tier',
        contextShareAt600: '≤ 2% of the history',
        recall20000: '≥ 90%',
        assemblyP50At10k: '≤ 5 ms on SQLite and PostgreSQL (p50Ms: steady state; coldP50Ms: the first 100 calls)',
      },
    };
  } finally {
    if (pgReady) await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
