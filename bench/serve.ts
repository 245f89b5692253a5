import { chmodSync, copyFileSync, mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PACKAGE_ROOT } from '../src/config/load.js';
import { configSchema, serveSchema, type ServeConfig } from '../src/config/schema.js';
import { createModelRegistry } from '../src/models/registry.js';
import { createServeEndpointSource } from '../src/serve/endpoint-source.js';
import { Supervisor } from '../src/serve/supervisor.js';

/**
 * luna serve: (1) routing through the serve EndpointSource + registry vs calling the shard directly, on a real
 * `local` shard running stories260K; (2) crash → detection → restart → ready times; (3) supervisor CPU while
 * four shards sit idle at the default 5 s health interval. Fake engines come from test/serve/fixtures.
 */
const MODEL = path.resolve(PACKAGE_ROOT, '../shared/models/stories260K.gguf');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (v: number, d = 3) => Number(v.toFixed(d));

async function until(fn: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await sleep(5);
  }
}

function sandbox(): { dir: string; bin: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'luna-bench-serve-'));
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  for (const f of ['fake-engine.mjs', 'vllm', 'llama-server']) {
    copyFileSync(path.join(PACKAGE_ROOT, 'test/serve/fixtures', f), path.join(bin, f));
    chmodSync(path.join(bin, f), 0o755);
  }
  return { dir, bin };
}

function cfg(bin: string, input: Record<string, unknown>): ServeConfig {
  return serveSchema.parse({ metricsPort: 0, binaries: { nvidiaSmi: path.join(bin, 'no-nvidia-smi') }, ...input });
}

async function routing(dir: string, bin: string): Promise<Record<string, unknown>> {
  const home = path.join(dir, 'route');
  const sup = new Supervisor({ serve: cfg(bin, { healthIntervalMs: 1000, shards: [{ name: 'tiny', engine: 'local', model: MODEL, serves: ['writer'], parallel: 1, contextLength: 256 }] }), home, detached: false });
  await sup.start();
  try {
    await until(() => sup.state().shards[0]!.state === 'ready', 60_000, 'local shard ready');
    const port = sup.state().shards[0]!.port!;
    const base = { agents: { preprocessor: { model: 'writer' }, strategist: { model: 'writer' }, writer: { model: 'writer' }, dreamer: { model: 'writer' } } };
    const directReg = createModelRegistry(configSchema.parse({ ...base, models: { writer: { provider: 'openai-compatible', model: 'writer', baseUrl: `http://127.0.0.1:${port}/v1`, apiKey: 'none' } } }));
    // the routed model's own config points nowhere: every token must come through the serve endpoint
    const routedReg = createModelRegistry(configSchema.parse({ ...base, models: { writer: { provider: 'openai-compatible', model: 'writer', baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'none' } } }), { endpoints: createServeEndpointSource(home) });
    const req = { messages: [{ role: 'user' as const, content: 'Once upon a time' }], maxTokens: 96, temperature: 0 };
    const batch = async (reg: typeof directReg, n: number) => {
      let tokens = 0;
      const t0 = performance.now();
      for (let i = 0; i < n; i++) tokens += (await reg.get('writer').generate(req)).usage.outputTokens;
      return { tokens, ms: performance.now() - t0 };
    };
    await batch(directReg, 3);
    await batch(routedReg, 3);
    const d = { tokens: 0, ms: 0 };
    const r = { tokens: 0, ms: 0 };
    // interleaved rounds so drift (thermal, other processes) hits both sides alike
    for (let round_ = 0; round_ < 6; round_++) {
      const a = await batch(directReg, 8);
      const b = await batch(routedReg, 8);
      d.tokens += a.tokens; d.ms += a.ms; r.tokens += b.tokens; r.ms += b.ms;
    }
    const lookups = 20_000;
    const src = createServeEndpointSource(home);
    const t0 = performance.now();
    for (let i = 0; i < lookups; i++) await src.endpointsFor('writer');
    const lookupUs = ((performance.now() - t0) * 1000) / lookups;
    await directReg.close();
    await routedReg.close();
    const directTps = (d.tokens * 1000) / d.ms;
    const routedTps = (r.tokens * 1000) / r.ms;
    return { directTokensPerSec: round(directTps, 1), routedTokensPerSec: round(routedTps, 1), routedOverDirect: round(routedTps / directTps), goal: '>= 0.98', endpointLookupMicros: round(lookupUs, 2), requestsPerSide: 48 };
  } finally {
    await sup.stop();
  }
}

async function restart(dir: string, bin: string): Promise<Record<string, unknown>> {
  const sup = new Supervisor({ serve: cfg(bin, { healthIntervalMs: 1000, restartBackoffMs: 100, maxRestarts: 100, restartWindowMs: 1, shards: [{ name: 'crashy', engine: 'llamacpp', model: 'm.gguf', env: { FAKE_LOAD_MS: '0' } }] }), home: path.join(dir, 'restart'), detached: false });
  await sup.start();
  const detect: number[] = [];
  const respawn: number[] = [];
  const ready: number[] = [];
  try {
    const s = () => sup.state().shards[0]!;
    for (let i = 0; i < 5; i++) {
      await until(() => s().state === 'ready', 20_000, 'ready');
      const pid = s().pid!;
      const t0 = performance.now();
      process.kill(pid, 'SIGKILL');
      await until(() => s().state === 'backoff', 10_000, 'crash detected');
      detect.push(performance.now() - t0);
      await until(() => s().pid !== null && s().pid !== pid, 10_000, 'respawned');
      respawn.push(performance.now() - t0);
      await until(() => s().state === 'ready', 20_000, 'ready again');
      ready.push(performance.now() - t0);
    }
  } finally {
    await sup.stop();
  }
  const med = (xs: number[]) => round([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!, 1);
  return { crashToDetectMs: med(detect), crashToRespawnMs: med(respawn), crashToReadyMs: med(ready), restartBackoffMs: 100, note: 'restartWindowMs is 1 ms so every crash waits the base backoff; ready time includes the fake engine\'s node start-up and the 500 ms readiness poll' };
}

async function idleCpu(dir: string, bin: string): Promise<Record<string, unknown>> {
  const shards = [
    { name: 'a', engine: 'vllm', model: 'm' }, { name: 'b', engine: 'vllm', model: 'm' },
    { name: 'c', engine: 'llamacpp', model: 'm.gguf' }, { name: 'd', engine: 'llamacpp', model: 'm.gguf' },
  ].map((s) => ({ ...s, env: { FAKE_LOAD_MS: '0' } }));
  const sup = new Supervisor({ serve: cfg(bin, { shards }), home: path.join(dir, 'idle'), detached: false });
  await sup.start();
  try {
    await until(() => sup.state().shards.every((s) => s.state === 'ready'), 30_000, 'four shards ready');
    await sleep(1000);
    const windowMs = 20_000;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await sleep(windowMs);
    const c = process.cpuUsage(c0);
    const pct = ((c.user + c.system) / 1000 / (performance.now() - t0)) * 100;
    return { shards: 4, healthIntervalMs: 5000, windowMs, supervisorCpuPercentOfOneCore: round(pct, 3), goal: '< 1' };
  } finally {
    await sup.stop();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const { dir, bin } = sandbox();
  const savedPath = process.env.PATH;
  process.env.PATH = `${bin}${path.delimiter}${savedPath ?? ''}`;
  try {
    return { routing: await routing(dir, bin), restart: await restart(dir, bin), idle: await idleCpu(dir, bin) };
  } finally {
    process.env.PATH = savedPath;
    rmSync(dir, { recursive: true, force: true });
  }
}
