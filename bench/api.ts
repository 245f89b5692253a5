import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildApiApp } from '../src/api/server.js';
import { configSchema } from '../src/config/schema.js';
import type { CallAgent } from '../src/pipeline/deps.js';
import { runTurn } from '../src/pipeline/run-turn.js';
import { openStore } from '../src/store/open.js';
import type { Store } from '../src/store/types.js';
import { instantCallAgent, SAMPLE_PLAN, SAMPLE_PROSE } from './instant-models.js';
import { NOOP_TELEMETRY } from '../src/telemetry/noop.js';

/**
 * Issue 13: what the HTTP layer adds to a turn (JSON and SSE) over the in-process pipeline with instant
 * models, and how many concurrent SSE turn streams one process holds (time to open them all, memory).
 */
export async function run(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-bench-api-'));
  try {
    const store = await openStore({ url: `sqlite:${path.join(dir, 'api.db')}`, poolSize: 1 }, dir, { autoMigrateSqlite: true });
    const config = configSchema.parse({ agents: { preprocessor: { model: 'x' }, strategist: { model: 'x' }, writer: { model: 'x' }, dreamer: { model: 'x', imagePrompts: false } } });
    const overhead = await perTurn(store, config, dir);
    const streams: Record<string, unknown> = {};
    for (const n of [100, 500]) streams[`${n}_streams`] = await heldStreams(store, config, dir, n);
    await store.close();
    return { overhead, concurrentSse: streams };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Config = ReturnType<typeof configSchema.parse>;

async function startApi(store: Store, config: Config, home: string, callAgent: CallAgent, maxInFlight = 64) {
  const deps = { store, config, callAgent };
  const session = { deps, withModels: () => deps, ping: async () => ({}), telemetry: NOOP_TELEMETRY, close: async () => undefined };
  const api = await buildApiApp({ store, loaded: { config, home, files: [] }, session, options: { dream: false, maxInFlight, maxConcurrent: maxInFlight, rateLimit: 1_000_000 } });
  const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
  const account = await store.createAccount({ name: 'bench' });
  const { secret } = await store.createApiKey(account.id);
  return { api, url, account, headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' } };
}

async function perTurn(store: Store, config: Config, home: string) {
  const turns = 150;
  const callAgent = instantCallAgent({ plan: SAMPLE_PLAN, prose: SAMPLE_PROSE, tokensPerChunk: 1 });
  const inProc = await store.createStory({ title: 'in-process', premise: 'Maren Vale hunts Korvin Ashe along the coast.' });
  const direct: number[] = [];
  for (let i = 0; i < turns; i++) {
    const t = performance.now();
    for await (const e of runTurn({ storyId: inProc.id, action: `Maren follows the lead, step ${i}` }, { store, config, callAgent })) if (e.type === 'error') throw new Error(e.message);
    direct.push(performance.now() - t);
  }
  const { api, url, account, headers } = await startApi(store, config, home, callAgent);
  // JSON and SSE turns alternate (each on its own story), so warm-up and story growth weigh on both alike.
  const [js, ss] = await Promise.all(['json', 'sse'].map((title) => store.createStory({ accountId: account.id, title, premise: 'Maren Vale hunts Korvin Ashe along the coast.' })));
  const one = async (storyId: string, stream: boolean, i: number) => {
    const t = performance.now();
    const res = await fetch(`${url}/v1/stories/${storyId}/turns`, { method: 'POST', headers: { ...headers, ...(stream ? { accept: 'text/event-stream' } : {}) }, body: JSON.stringify({ action: `Maren follows the lead, step ${i}` }) });
    const text = await res.text();
    if (res.status !== 200 || (stream && !text.includes('event: done'))) throw new Error(`turn failed: ${res.status} ${text.slice(0, 200)}`);
    return performance.now() - t;
  };
  const json: number[] = [];
  const sse: number[] = [];
  for (let i = 0; i < turns; i++) {
    json.push(await one(js!.id, false, i));
    sse.push(await one(ss!.id, true, i));
  }
  await api.shutdown(1000);
  const p = (xs: number[]) => ({ p50Ms: pct(xs, 0.5), p99Ms: pct(xs, 0.99) });
  return {
    turns,
    inProcess: p(direct),
    apiJson: p(json),
    apiSse: p(sse),
    overheadP50Ms: { json: +(pct(json, 0.5) - pct(direct, 0.5)).toFixed(2), sse: +(pct(sse, 0.5) - pct(direct, 0.5)).toFixed(2) },
    note: '~230-token prose streamed one word per event (the SSE figure includes ~60 prose-token events)',
  };
}

/** N SSE turn streams open at once: each Writer emits a token, then waits until every stream is open. */
async function heldStreams(store: Store, config: Config, home: string, n: number) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const instant = instantCallAgent({ plan: SAMPLE_PLAN, prose: () => 'Short passage.' });
  const callAgent: CallAgent = async (agent, req, o = {}) => {
    if (agent !== 'writer') return instant(agent, req, o);
    o.onText?.('Waiting ');
    await gate;
    return instant(agent, req, o);
  };
  const { api, url, account, headers } = await startApi(store, config, home, callAgent, n);
  const stories = await Promise.all(Array.from({ length: n }, (_, i) => store.createStory({ accountId: account.id, title: `s${i}`, premise: 'p' })));
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  let open = 0;
  let allOpen!: () => void;
  const opened = new Promise<void>((r) => (allOpen = r));
  const streams = stories.map(async (s) => {
    const res = await fetch(`${url}/v1/stories/${s.id}/turns`, { method: 'POST', headers: { ...headers, accept: 'text/event-stream' }, body: JSON.stringify({ action: 'wait' }) });
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    let buf = '';
    let counted = false;
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      if (!counted && buf.includes('event: prose-token')) {
        counted = true;
        if (++open === n) allOpen();
      }
    }
    if (!buf.includes('event: done')) throw new Error(`stream ended without done: ${buf.slice(-300)}`);
  });
  await opened;
  const openMs = performance.now() - t0;
  const metrics = await (await fetch(`${url}/metrics`)).text();
  const gauge = Number(/luna_api_sse_connections (\d+)/.exec(metrics)?.[1] ?? NaN);
  const rssMb = (process.memoryUsage().rss - rss0) / 1e6;
  const t1 = performance.now();
  release();
  await Promise.all(streams);
  const drainMs = performance.now() - t1;
  await api.shutdown(1000);
  return { streams: n, allOpenMs: Math.round(openMs), sseConnectionsGauge: gauge, rssDeltaMbWhileOpen: +rssMb.toFixed(1), rssKbPerStream: Math.round((rssMb * 1000) / n), finishAllMs: Math.round(drainMs), note: 'client and server share the process: the memory figure includes the client side' };
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return +s[Math.min(s.length - 1, Math.floor(p * s.length))]!.toFixed(2);
}
