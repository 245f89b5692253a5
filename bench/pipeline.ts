import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema } from '../src/config/schema.js';
import { curateContext } from '../src/pipeline/preprocessor.js';
import { runTurn } from '../src/pipeline/run-turn.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { instantCallAgent, SAMPLE_PLAN, SAMPLE_PROSE } from './instant-models.js';
import { generateStory } from './story-gen.js';

/** Issue 3 benchmarks: recall vs compression, pipeline overhead, context assembly time, Strategist cost, import speed. */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-bench-'));
  try {
    const open = async (name: string) => openStore({ url: `sqlite:${path.join(dir, `${name}.db`)}`, poolSize: 1 }, dir, { autoMigrateSqlite: true });
    const store = await open('main');
    const config = configSchema.parse({ agents: { preprocessor: { model: 'x' }, strategist: { model: 'x' }, writer: { model: 'x' }, dreamer: { model: 'x', imagePrompts: false } } });
    const result = {
      recall: await recall(store, config.context),
      contextAssembly: await assembly(store, path.join(dir, 'main.db'), config.context),
      pipelineOverhead: await overhead(store, config),
      strategistCost: await strategistCost(store, config),
    };
    await store.close();
    return { ...result, goals: { recall: '≥95% at ≥96% compression (500 turns)', overheadP50Ms: '≤5', contextAt10kMs: '≤25 and ≤2× the 100-turn figure', strategistUsdPerTurn: '≤0.002, flat' } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function recall(store: Store, ctx: ReturnType<typeof configSchema.parse>['context']) {
  const out: Record<string, unknown> = {};
  for (const distance of [20, 100, 500, 2000]) {
    const turns = distance + 40;
    const specs = Array.from({ length: 20 }, (_, i) => ({ turn: turns - distance - (i % 10), structured: i % 2 === 0 }));
    const gen = generateStory({ turns, facts: specs, seed: distance });
    const t0 = performance.now();
    const story = await store.importStory(gen.bundle);
    const importMs = performance.now() - t0;
    let hit = 0;
    let compression = 0;
    for (const f of gen.facts) {
      const c = await curateContext({ store, story, headId: story.headTurnId, action: f.probe, config: ctx });
      if (c.text.includes(f.expect)) hit++;
      compression += c.context.compression;
    }
    out[`${distance}_turns_back`] = {
      storyTurns: turns,
      recall: +(hit / gen.facts.length).toFixed(3),
      meanCompression: +(compression / gen.facts.length).toFixed(4),
      importTurnsPerSec: Math.round(turns / (importMs / 1000)),
    };
  }
  return out;
}

async function assembly(store: Store, dbFile: string, ctx: ReturnType<typeof configSchema.parse>['context']) {
  const out: Record<string, unknown> = {};
  for (const turns of [100, 1000, 10000]) {
    const gen = generateStory({ turns, facts: Array.from({ length: 30 }, (_, i) => ({ turn: Math.max(1, turns - 1 - i * Math.floor(turns / 31)) })), seed: turns });
    const t0 = performance.now();
    const story = await store.importStory(gen.bundle);
    const importMs = performance.now() - t0;
    // Cold: a fresh process's first assembly (no branch cache yet), as `luna turn` sees it.
    const fresh = await openStore({ url: `sqlite:${dbFile}`, poolSize: 1 }, '.', {}).catch(() => null);
    let coldMs: number | null = null;
    if (fresh) {
      const t = performance.now();
      await curateContext({ store: fresh, story, headId: story.headTurnId, action: gen.facts[0]!.probe, config: ctx });
      coldMs = +(performance.now() - t).toFixed(2);
      await fresh.close();
    }
    const times: number[] = [];
    for (let i = 0; i < 40; i++) {
      const t = performance.now();
      await curateContext({ store, story, headId: story.headTurnId, action: gen.facts[i % gen.facts.length]!.probe, config: ctx });
      times.push(performance.now() - t);
    }
    out[`${turns}_turns`] = { coldMs, p50Ms: pct(times, 0.5), p95Ms: pct(times, 0.95), importMs: Math.round(importMs), importTurnsPerSec: Math.round(turns / (importMs / 1000)) };
  }
  return out;
}

async function overhead(store: Store, config: ReturnType<typeof configSchema.parse>) {
  const story = await store.createStory({ title: 'Overhead', premise: 'Maren Vale hunts Korvin Ashe along the coast.' });
  const callAgent = instantCallAgent({ plan: SAMPLE_PLAN, prose: SAMPLE_PROSE, tokensPerChunk: 1 });
  const times: number[] = [];
  for (let i = 0; i < 200; i++) {
    const t = performance.now();
    for await (const e of runTurn({ storyId: story.id, action: `Maren follows the lead, step ${i}` }, { store, config, callAgent })) {
      if (e.type === 'error') throw new Error(e.message);
    }
    times.push(performance.now() - t);
  }
  return { turns: times.length, p50Ms: pct(times, 0.5), p99Ms: pct(times, 0.99) };
}

async function strategistCost(store: Store, config: ReturnType<typeof configSchema.parse>) {
  const story = await store.createStory({ title: 'Cost', premise: 'Maren Vale hunts Korvin Ashe along a haunted coast.' });
  const callAgent = instantCallAgent({ plan: SAMPLE_PLAN, prose: SAMPLE_PROSE });
  const perTurn: { turn: number; input: number; output: number; usd: number }[] = [];
  for (let i = 1; i <= 100; i++) {
    for await (const e of runTurn({ storyId: story.id, action: `Maren presses on, looking for Korvin (${i})` }, { store, config, callAgent })) {
      if (e.type === 'done') {
        const s = (await store.listCalls({ storyId: story.id })).filter((c) => c.turnId === e.turn.id && c.agent === 'strategist');
        perTurn.push({ turn: i, input: s[0]!.inputTokens, output: s[0]!.outputTokens, usd: s[0]!.costUsd ?? 0 });
      }
      if (e.type === 'error') throw new Error(e.message);
    }
  }
  const at = (n: number) => perTurn[n - 1]!;
  return {
    prices: 'Claude Haiku 4.5: $1 in / $5 out per million tokens',
    turn1: at(1),
    turn10: at(10),
    turn50: at(50),
    turn100: at(100),
    maxUsdPerTurn: +Math.max(...perTurn.map((p) => p.usd)).toFixed(6),
    meanUsdPerTurn: +(perTurn.reduce((n, p) => n + p.usd, 0) / perTurn.length).toFixed(6),
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2);
}
