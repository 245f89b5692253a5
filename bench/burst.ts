/**
 * Burst benchmarks against the loopback fake providers (no cloud): autoscaler decision latency
 * (queue above threshold → launch call reaches the provider), launch call → first request routed
 * through the EndpointSource, and reconcile time with 100 instances listed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import OpenAI from 'openai';
import { Autoscaler } from '../src/burst/autoscaler.js';
import { BurstEndpointSource } from '../src/burst/endpoint-source.js';
import { BurstManager } from '../src/burst/manager.js';
import { planRequest, searchOffers } from '../src/burst/plan.js';
import { createProvider } from '../src/burst/providers/index.js';
import { burstSchema } from '../src/config/schema.js';
import { openStore } from '../src/store/open.js';
import { startFakeRunPod } from '../test/burst/fakes/runpod.js';

const KEY = 'rp_bench_key';

function stats(xs: number[]): { p50: number; p95: number; min: number; max: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  const r = (v: number) => Math.round(v * 100) / 100;
  return { p50: r(q(0.5)), p95: r(q(0.95)), min: r(s[0]!), max: r(s.at(-1)!), n: s.length };
}

async function env(over: Record<string, unknown> = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-bench-burst-'));
  const fake = await startFakeRunPod({ apiKey: KEY, bootMs: 0, readyAfterMs: 0 });
  const store = await openStore({ url: `sqlite:${path.join(dir, 'luna.db')}`, poolSize: 1 }, dir, { autoMigrateSqlite: true });
  const metrics = { waiting: 50 };
  const config = burstSchema.parse({
    model: 'bench/model', serves: ['writer'], provider: 'runpod', maxInstances: 1000, cooldownMs: 0, scaleUpWindowMs: 1,
    metricsUrl: 'http://127.0.0.1:9/metrics',
    providers: { runpod: { baseUrl: fake.url, apiKey: KEY, proxyUrl: `${fake.url}/proxy/{podId}` } },
    ...over,
  });
  const manager = new BurstManager({ store, config, providers: [createProvider(config, 'runpod')], billEveryMs: 60_000 });
  return {
    fake, store, config, manager, metrics,
    close: async () => { await store.close(); await fake.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const { createServer } = await import('node:http');
  const state = { waiting: 50 };
  const lunaMetrics = createServer((_q, res) => { res.end(`luna_shard_requests_waiting{shard="a"} ${state.waiting}\n`); });
  await new Promise<void>((r) => lunaMetrics.listen(0, '127.0.0.1', r));
  const metricsUrl = `http://127.0.0.1:${(lunaMetrics.address() as { port: number }).port}/metrics`;

  const decision: number[] = [];
  const toRouted: number[] = [];
  for (let k = 0; k < 8; k++) {
    const e = await env({ metricsUrl });
    const scaler = new Autoscaler(e.manager, { request: planRequest(e.config) });
    const source = new BurstEndpointSource(e.store, { deployment: 'default', modelId: 'bench/model', cacheMs: 0 });
    await scaler.step();
    await new Promise((r) => setTimeout(r, 2));
    const t0 = performance.now();
    const wall0 = Date.now();
    await scaler.step();
    const create = e.fake.cloud.requests.find((r) => JSON.stringify(r.body).includes('podFindAndDeployOnDemand'));
    if (!create) throw new Error('no launch happened');
    decision.push(create.at - wall0);
    const launchAt = performance.now() - (Date.now() - create.at);
    for (;;) {
      await e.manager.reconcile();
      const [ep] = await source.endpointsFor('writer');
      if (ep) {
        const client = new OpenAI({ baseURL: ep.baseUrl, apiKey: ep.apiKey!, maxRetries: 0 });
        await client.chat.completions.create({ model: ep.modelId!, messages: [{ role: 'user', content: 'hi' }] });
        toRouted.push(performance.now() - launchAt);
        break;
      }
      if (performance.now() - t0 > 20_000) throw new Error('never routed');
    }
    await e.close();
  }

  const e = await env();
  const { offers } = await searchOffers([...e.manager.providers.values()], planRequest(e.config));
  for (let k = 0; k < 100; k++) await e.manager.launch(offers[0]!);
  await e.manager.reconcile();
  const reconcile: number[] = [];
  for (let k = 0; k < 5; k++) {
    const t = performance.now();
    const rep = await e.manager.reconcile();
    reconcile.push(performance.now() - t);
    if (rep.instances.filter((i) => i.state === 'ready').length !== 100) throw new Error('expected 100 ready instances');
  }
  await e.close();
  await new Promise<void>((r) => lunaMetrics.close(() => r()));
  return {
    note: 'loopback fakes with zero boot time; measures LUNA overhead, not cloud boot',
    decisionToLaunchCallMs: stats(decision),
    launchCallToRoutedRequestMs: stats(toRouted),
    reconcile100InstancesMs: stats(reconcile),
  };
}
