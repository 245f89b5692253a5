import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema } from '../src/config/schema.js';
import { runTurn } from '../src/pipeline/run-turn.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { openTelemetry } from '../src/telemetry/open.js';
import { instantCallAgent, SAMPLE_PLAN, SAMPLE_PROSE } from './instant-models.js';

/**
 * Issue 14 (tracing): what OpenTelemetry tracing adds to a turn, with instant models so nothing else hides it.
 * In-process turns run untraced, traced to a live loopback collector, and traced to a closed port (a dead
 * collector), interleaved. Goal: ≤ 1 ms at p50 either way; a dead collector costs nothing more than a live one.
 */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-bench-otel-'));
  let spans = 0;
  let posts = 0;
  const collector = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += String(d)));
    req.on('end', () => {
      spans += (body.match(/"spanId"/g) ?? []).length;
      posts++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
  const live = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
  const closed = createServer();
  await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
  const dead = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
  await new Promise<void>((r) => closed.close(() => r()));
  try {
    const store = await openStore({ url: `sqlite:${path.join(dir, 'bench.db')}`, poolSize: 1 }, dir, { autoMigrateSqlite: true });
    // The machine is shared and its load swings: the three runs take turns, one turn each, so the swings hit all alike.
    const runs = [await setup(store, null), await setup(store, live), await setup(store, dead)];
    for (let i = 0; i < TURNS; i++) for (const r of runs) await r.turn(i);
    const [untraced, traced, toDead] = (await Promise.all(runs.map((r) => r.finish()))) as [Stats, Stats, Stats];
    // CPU for the whole export path (encoding, the POST, the collector's parsing here in-process), per turn.
    const cpu = async (endpoint: string | null) => {
      const r = await setup(store, endpoint);
      const c0 = process.cpuUsage();
      for (let i = 0; i < 100; i++) await r.turn(i);
      await r.finish();
      const c = process.cpuUsage(c0);
      return +((c.user + c.system) / 1000 / 100).toFixed(3);
    };
    const cpuMsPerTurn = { untraced: await cpu(null), live: await cpu(live), dead: await cpu(dead) };
    await store.close();
    return {
      turns: TURNS,
      untraced,
      tracedLiveCollector: { ...traced, spansReceived: spans, requests: posts },
      tracedDeadCollector: toDead,
      overheadMs: {
        p25: { live: +(traced.p25Ms - untraced.p25Ms).toFixed(3), dead: +(toDead.p25Ms - untraced.p25Ms).toFixed(3) },
        p50: { live: +(traced.p50Ms - untraced.p50Ms).toFixed(3), dead: +(toDead.p50Ms - untraced.p50Ms).toFixed(3) },
      },
      cpuMsPerTurn,
      goals: { overheadP50Ms: '≤1 (live or dead collector)' },
    };
  } finally {
    collector.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const TURNS = 200;
type Stats = { p25Ms: number; p50Ms: number; p99Ms: number; shutdownMs: number };

async function setup(store: Store, endpoint: string | null) {
  const config = configSchema.parse({ agents: { preprocessor: { model: 'x' }, strategist: { model: 'x' }, writer: { model: 'x' }, dreamer: { model: 'x', imagePrompts: false } }, telemetry: endpoint ? { otlp: { endpoint } } : {} });
  const telemetry = await openTelemetry(config, { env: {}, debug: (m) => process.env.BENCH_DEBUG && process.stderr.write(`${m}\n`) });
  const story = await store.createStory({ title: 'Traced', premise: 'Maren Vale hunts Korvin Ashe along the coast.' });
  const callAgent = telemetry.wrapCallAgent(instantCallAgent({ plan: SAMPLE_PLAN, prose: SAMPLE_PROSE, tokensPerChunk: 1 }));
  const times: number[] = [];
  return {
    async turn(i: number) {
      // A real turn waits seconds on its models; this gap stands in for that wait, so exports get the event loop.
      await new Promise((r) => setTimeout(r, 5));
      const t = performance.now();
      for await (const e of telemetry.traceTurn(runTurn({ storyId: story.id, action: `Maren follows the lead, step ${i}` }, { store, config, callAgent }))) {
        if (e.type === 'error') throw new Error(e.message);
      }
      times.push(performance.now() - t);
    },
    async finish() {
      const t = performance.now();
      await telemetry.shutdown();
      return { p25Ms: pct(times, 0.25), p50Ms: pct(times, 0.5), p99Ms: pct(times, 0.99), shutdownMs: +(performance.now() - t).toFixed(1) };
    },
  };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(3);
}
