import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { topSchema, type LunaConfig } from '../../src/config/schema.js';
import { lastStepFile } from '../../src/burst/last-step.js';
import { Supervisor } from '../../src/serve/supervisor.js';
import { TopCollector } from '../../src/top/collector.js';
import { plainText } from '../../src/top/panes.js';
import type { Snapshot } from '../../src/top/types.js';
import { apiFixture, readSse, type ApiFixture } from '../api/api-fixture.js';
import { planJson } from '../helpers/pipeline-fixture.js';
import http from 'node:http';
import { listenOnLoopback } from '../helpers/listen.js';
import { makeSandbox, serveConfig, waitFor } from '../serve/helpers.js';

// Real parts throughout: a live `luna api` over SQLite with loopback models, a live `luna serve` supervisor
// with fake engines and a fake nvidia-smi, and a port that refuses connections as an API process that is down.
const box = makeSandbox();
let f: ApiFixture;
let sup: Supervisor;
let config: LunaConfig;
let deadUrl: string;
let savedPath: string | undefined;

const CSV = [
  '0, GPU-11111111-aaaa-bbbb-cccc-000000000000, NVIDIA A100-SXM4-80GB, 81920, 1024, 12, 41, 85.50',
  '1, GPU-22222222-aaaa-bbbb-cccc-000000000001, NVIDIA A100-SXM4-80GB, 81920, 40960, 87, 91, 301.20',
  '',
].join('\n');

beforeAll(async () => {
  savedPath = process.env.PATH;
  process.env.PATH = box.env.PATH;
  process.env.FAKE_NVIDIA_SMI_CSV = CSV;
  f = await apiFixture({}, { cost: { budgets: { global: { period: 'month', softUsd: 0.0000001, hardUsd: 100 } } } });
  const shards = [
    { name: 'cpp', engine: 'llamacpp', model: '/models/m.gguf', gpus: [0], env: { FAKE_LOAD_MS: '100' } },
    { name: 'big', engine: 'vllm', model: 'org/big-model', gpus: [1], env: { FAKE_LOAD_MS: '100' } },
  ];
  const serve = serveConfig({ binaries: { nvidiaSmi: path.join(box.bin, 'nvidia-smi') }, shards });
  sup = new Supervisor({ serve, home: f.fx.home, detached: false });
  await sup.start();
  // a port that answered once and is closed now: connections are refused, as with an API process that died
  const dead = await listenOnLoopback(http.createServer((_req, res) => res.end()));
  deadUrl = `http://127.0.0.1:${dead.port}`;
  await dead.close();
  config = {
    ...f.fx.loaded.config,
    serve,
    top: topSchema.parse({ storeIntervalMs: 200, timeoutMs: 2000, alerts: { minTurns: 1, errorRate: 0.05, gpuTempC: 90, burstReadyMs: 60_000 } }),
  };
}, 60_000);

afterAll(async () => {
  await sup?.stop();
  await f?.close();
  process.env.PATH = savedPath;
  delete process.env.FAKE_NVIDIA_SMI_CSV;
  box.cleanup();
});

function collector(): TopCollector {
  return new TopCollector({ config, home: f.fx.home, store: async () => f.fx.store, apis: [f.url, deadUrl] });
}

async function turn(storyId: string): Promise<number> {
  return (await f.req('POST', `/v1/stories/${storyId}/turns`, { body: { action: 'look around' } })).status;
}

const keys = (s: Snapshot) => s.alerts.map((a) => a.key);

describe('TopCollector against live luna api and luna serve', () => {
  it('rates, quantiles, tiers, shards and GPUs, money and budgets, and an alert per condition with the time it began', async () => {
    await waitFor('shards ready', () => sup.state().shards.every((s) => s.state === 'ready'), 30_000);
    const c = collector();
    const first = await c.snapshot();
    expect(first.sources.api.ok).toBe(true);
    expect(first.service!.apis.find((a) => a.url === deadUrl)).toMatchObject({ up: false, unreachableSince: first.at });
    expect(keys(first)).toContain(`api:down:${deadUrl}`);

    f.fx.strategist.setDefault({ kind: 'json', value: planJson() });
    const story = (await (await f.req('POST', '/v1/stories', { body: { title: 'Top' } })).json()).id as string;
    expect(await turn(story)).toBe(200);
    expect(await turn(story)).toBe(200);
    // a model failure is a server-side error; the error rate counts it
    f.fx.writer.script({ kind: 'error', status: 500, message: 'engine fell over' });
    expect(await turn(story)).toBeGreaterThanOrEqual(500);

    // a turn held in flight by a hanging writer shows by tier (accounts default to the free tier)
    f.fx.writer.script({ kind: 'hang' });
    const ctrl = new AbortController();
    const held = await f.req('POST', `/v1/stories/${story}/turns`, { body: { action: 'wait' }, headers: { accept: 'text/event-stream' }, signal: ctrl.signal });
    const events: string[] = [];
    const reading = readSse(held, (e) => void events.push(e.event)).catch(() => undefined);
    await waitFor('turn in flight', () => events.includes('stage-started'));

    await new Promise((r) => setTimeout(r, 250)); // the store-backed panes refresh at most every 200 ms here
    const s = await c.snapshot();
    const v = s.service!;
    expect(v.finishedInWindow).toBe(3);
    expect(v.errorsInWindow).toBe(1);
    expect(v.errorRate).toBeCloseTo(1 / 3);
    expect(v.turnsPerSec).toBeGreaterThan(0);
    expect(v.latency.p50).toBeGreaterThan(0);
    expect(v.latency.p99).toBeGreaterThanOrEqual(v.latency.p50!);
    expect(v.ttft.p50).toBeGreaterThan(0);
    expect(v.inFlight).toBe(1);
    expect(v.inFlightByTier).toEqual({ free: 1 });
    expect(keys(s)).toContain('api:errors');
    ctrl.abort();
    await reading;

    const sv = s.serve!;
    expect(sv.shards.map((x) => [x.name, x.state])).toEqual([['cpp', 'ready'], ['big', 'ready']]);
    expect(sv.shards[1]!.gpuInfo[0]).toMatchObject({ index: 1, temperatureC: 91, memoryTotalMiB: 81920 });
    expect(s.alerts.find((a) => a.key === 'gpu:temp:1')?.text).toMatch(/GPU 1 at 91°C/);
    expect(keys(s)).not.toContain('gpu:temp:0');

    const m = s.money!;
    expect(m.spentMonthUsd).toBeGreaterThan(0);
    expect(m.turnsToday).toBe(2);
    expect(m.costPerTurnToday).toBeGreaterThan(0);
    expect(m.budgets[0]).toMatchObject({ name: 'global budget', level: 'soft' });
    expect(s.alerts.find((a) => a.key === 'budget:global budget')).toMatchObject({ severity: 'warning' });
    expect(s.dreamer!.counts.queued + s.dreamer!.counts.running + s.dreamer!.counts.done).toBeGreaterThan(0);

    // the API that was down from the start keeps its first timestamp
    expect(s.alerts.find((a) => a.key === `api:down:${deadUrl}`)!.since).toBe(first.at);
    const text = plainText(s, 100);
    expect(text).toMatch(/in flight 1 \(free 1\)/);
    expect(text).toMatch(/cpp\s+ready/);
  }, 90_000);

  it('a killed shard raises "shard down" within a refresh and it clears once the supervisor has restarted it', async () => {
    const c = collector();
    await waitFor('shards ready', () => sup.state().shards.every((s) => s.state === 'ready'), 30_000);
    expect(keys(await c.snapshot())).not.toContain('shard:down:cpp');
    const pid = sup.state().shards.find((s) => s.name === 'cpp')!.pid!;
    const killedAt = Date.now();
    process.kill(-pid, 'SIGKILL');
    const down = await waitFor('shard down alert', async () => (await c.snapshot()).alerts.find((a) => a.key === 'shard:down:cpp'), 15_000);
    expect(Date.parse(down.since)).toBeGreaterThanOrEqual(killedAt - 1000);
    expect(down.severity).toBe('critical');
    // still down or already back: while it lasts, its start time does not move
    const again = (await c.snapshot()).alerts.find((a) => a.key === 'shard:down:cpp');
    if (again) expect(again.since).toBe(down.since);
    await waitFor('alert cleared', async () => {
      const s = await c.snapshot();
      return s.serve!.shards.find((x) => x.name === 'cpp')!.state === 'ready' && !keys(s).includes('shard:down:cpp');
    }, 30_000);
  }, 60_000);

  it('burst: an instance not ready in time and an orphan from the autoscaler\'s last step are alerts; its decision is shown', async () => {
    const launchedAt = new Date(Date.now() - 5 * 60_000).toISOString();
    await f.fx.store.saveBurstInstance({
      id: 'b1', name: 'luna-default-b1', deployment: 'default', provider: 'runpod', providerInstanceId: 'pod-1', gpuType: 'RTX_4090', gpuCount: 1,
      pricePerHour: 0.5, state: 'starting', endpoint: null, apiKey: null, serves: ['writer'], launchedAt, readyAt: null, lastActiveAt: null,
      terminatedAt: null, billedUntil: null, lastError: null,
    });
    const file = lastStepFile(f.fx.home, 'default');
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, JSON.stringify({
      at: new Date().toISOString(), waiting: 12, metricsError: null, errors: [],
      decisions: [{ action: 'launch', count: 1, reason: 'queue 12 > 8 for 60s' }],
      orphans: [{ provider: 'vast', name: 'luna-default-zz', providerInstanceId: '77', status: 'running' }],
    }));
    const s = await collector().snapshot();
    expect(s.burst!.instances[0]).toMatchObject({ id: 'b1', state: 'starting', pricePerHour: 0.5 });
    expect(s.burst!.instances[0]!.spentUsd).toBeCloseTo(0.5 / 12, 2);
    expect(s.burst!.hourlyUsd).toBe(0.5);
    expect(s.money!.burstUsdPerHour).toBe(0.5);
    expect(s.alerts.find((a) => a.key === 'burst:slow:b1')?.text).toMatch(/not ready after 5 min/);
    expect(s.alerts.find((a) => a.key === 'burst:orphan:luna-default-zz')?.severity).toBe('critical');
    expect(plainText(s, 120)).toMatch(/autoscaler .*launch ×1: queue 12 > 8 for 60s/);
  }, 30_000);

  it('a source that goes away is "unreachable since" its first failed read; the other panes keep updating', async () => {
    const c = collector();
    const before = await c.snapshot();
    expect(before.sources.serve.ok).toBe(true);
    await sup.stop();
    const gone = await c.snapshot();
    expect(gone.sources.serve).toMatchObject({ ok: false, configured: true, unreachableSince: gone.at, error: 'luna serve is not running' });
    // last good data stays on screen, marked; its shard alerts are not raised from stale data
    expect(gone.serve!.shards.length).toBe(2);
    expect(keys(gone)).toContain('source:serve');
    expect(keys(gone)).not.toContain('gpu:temp:1');
    await new Promise((r) => setTimeout(r, 250));
    const later = await c.snapshot();
    expect(later.sources.serve.unreachableSince).toBe(gone.at);
    expect(Date.parse(later.sources.dreamer.updatedAt!)).toBeGreaterThan(Date.parse(before.sources.dreamer.updatedAt!));
    expect(later.sources.api.ok).toBe(true);
    expect(plainText(later, 100)).toMatch(new RegExp(`unreachable since ${gone.at.slice(11, 19)}: luna serve is not running`));
  }, 30_000);

  it('a shard that keeps crashing is a restart loop, apart from being down', async () => {
    const home = path.join(box.dir, 'loop-home');
    const serve = serveConfig({
      binaries: { nvidiaSmi: path.join(box.bin, 'nvidia-smi') }, maxRestarts: 10, restartBackoffMs: 100,
      shards: [{ name: 'flaky', engine: 'llamacpp', model: 'm.gguf', env: { FAKE_LOAD_MS: '50', FAKE_CRASH_AFTER_MS: '300' } }],
    });
    const flaky = new Supervisor({ serve, home, detached: false });
    await flaky.start();
    try {
      const cfg = { ...config, serve, top: { ...config.top, alerts: { ...config.top.alerts, restartLoop: 2 } } };
      const c = new TopCollector({ config: cfg, home, store: async () => f.fx.store, apis: [] });
      const loop = await waitFor('restart-loop alert', async () => (await c.snapshot()).alerts.find((a) => a.key === 'shard:loop:flaky'), 20_000);
      expect(loop.text).toMatch(/shard flaky restarting in a loop: \d+ restarts in 10 min/);
      expect(loop.severity).toBe('critical');
    } finally {
      await flaky.stop();
    }
  }, 40_000);
});
