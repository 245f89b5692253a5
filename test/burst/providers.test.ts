import { afterEach, describe, expect, it } from 'vitest';
import { ProviderError } from '../../src/burst/http.js';
import type { BurstProvider, LaunchSpec, Offer, ProviderName } from '../../src/burst/types.js';
import { AuthError, ExitCode } from '../../src/errors.js';
import type { FakeServer } from './fakes/cloud.js';
import { startFakeLambda } from './fakes/lambda.js';
import { startFakeRunPod } from './fakes/runpod.js';
import { startFakeVast } from './fakes/vast.js';
import { KEY, lambdaVllm, providerFor as providerForRaw, until } from './helpers.js';

const providerFor = (name: ProviderName, url: string, over: Record<string, unknown> = {}, key?: string) =>
  providerForRaw(name, url, name === 'lambda' ? { port, ...over } : over, key);

const starters: Record<ProviderName, (o: Parameters<typeof startFakeLambda>[0]) => Promise<FakeServer>> = { lambda: startFakeLambda, vast: startFakeVast, runpod: startFakeRunPod };
const GPU: Record<ProviderName, string> = { lambda: 'a100', vast: 'RTX_4090', runpod: 'rtx 4090' };

let servers: { close(): Promise<void> }[] = [];
let port = 8000;
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()));
  servers = [];
});

async function start(name: ProviderName, opts: Parameters<typeof startFakeLambda>[0] = { apiKey: KEY }): Promise<FakeServer> {
  if (name === 'lambda') {
    const v = await lambdaVllm();
    servers.push(v);
    port = v.port;
    opts = { ...opts, fixedVllm: v };
  }
  const s = await starters[name](opts);
  servers.push(s);
  return s;
}

function spec(offer: Offer, name = 'luna-default-abc123'): LaunchSpec {
  return { name, offer, image: 'vllm/vllm-openai:latest', model: 'Qwen/Qwen2.5-0.5B-Instruct', apiKey: 'sk-luna-instancekey123456', port: 8000, diskGb: 40, hfToken: null };
}

describe.each(['lambda', 'vast', 'runpod'] as ProviderName[])('%s adapter against its fake API', (name) => {
  it('lists offers cheapest first, filtered by GPU and max price, with Bearer auth', async () => {
    const s = await start(name);
    const p = providerFor(name, s.url);
    const offers = await p.listOffers({ gpuType: GPU[name], gpuCount: 1, diskGb: 40 });
    expect(offers.length).toBeGreaterThan(0);
    for (let i = 1; i < offers.length; i++) expect(offers[i]!.pricePerHour).toBeGreaterThanOrEqual(offers[i - 1]!.pricePerHour);
    expect(offers.every((o) => o.provider === name && o.gpuCount >= 1)).toBe(true);
    const cheapest = offers[0]!.pricePerHour;
    const capped = await p.listOffers({ gpuType: GPU[name], gpuCount: 1, maxPricePerHour: cheapest });
    expect(capped.every((o) => o.pricePerHour <= cheapest)).toBe(true);
    expect(s.cloud.requests.every((r) => r.authorization === `Bearer ${KEY}`)).toBe(true);
  });

  it('launches, lists the instance by name until it runs with an address, and terminates idempotently', async () => {
    const s = await start(name, { apiKey: KEY, bootMs: 100 });
    const p = providerFor(name, s.url);
    const [offer] = await p.listOffers({ gpuType: GPU[name], gpuCount: 1, diskGb: 40 });
    const r = await p.launch(spec(offer!));
    expect(s.cloud.live()).toHaveLength(1);
    expect(s.cloud.live()[0]!.apiKey).toBe('sk-luna-instancekey123456');
    const running = await until(async () => (await p.list()).find((i) => i.providerInstanceId === r.providerInstanceId && i.status === 'running' && i.endpoint), 'running');
    expect(running.name).toBe('luna-default-abc123');
    const res = await fetch(running.endpoint!.replace(/\/v1$/, '/health'));
    expect(res.status).toBe(200);
    await p.terminate(r.providerInstanceId);
    expect(s.cloud.live()).toHaveLength(0);
    await p.terminate(r.providerInstanceId);
    expect((await p.list()).some((i) => i.providerInstanceId === r.providerInstanceId && i.status !== 'terminated')).toBe(false);
  });

  it('maps 401 to AuthError without echoing the key', async () => {
    const s = await start(name);
    const p = providerFor(name, s.url, {}, 'wrong-key-SECRET-999');
    const err = await p.listOffers({ gpuCount: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthError);
    expect((err as AuthError).exitCode).toBe(ExitCode.auth);
    expect(String((err as Error).message)).not.toContain('SECRET');
  });

  it('waits out a 429 (Retry-After) and then succeeds', async () => {
    const s = await start(name, { apiKey: KEY, rateLimit: { max: 1, windowMs: 400, retryAfterS: 0.5 } });
    const p = providerFor(name, s.url);
    await p.list();
    const listed = await p.list();
    expect(listed).toEqual([]);
    const statuses = s.cloud.requests.length;
    expect(statuses).toBeGreaterThanOrEqual(3);
  });

  it('reports no capacity as a retryable BurstError and quota as a final one', async () => {
    const s = await start(name);
    const p = providerFor(name, s.url);
    const [offer] = await p.listOffers({ gpuType: GPU[name], gpuCount: 1, diskGb: 40 });
    s.cloud.failNext('create', 'capacity');
    const cap = await p.launch(spec(offer!)).catch((e: unknown) => e);
    expect(cap).toBeInstanceOf(ProviderError);
    expect((cap as ProviderError).retryable).toBe(true);
    expect((cap as ProviderError).maybeCreated).toBe(false);
    expect((cap as ProviderError).exitCode).toBe(ExitCode.burst);
    s.cloud.failNext('create', 'quota');
    const quota = await p.launch(spec(offer!)).catch((e: unknown) => e);
    expect(quota).toBeInstanceOf(ProviderError);
    expect((quota as ProviderError).retryable).toBe(false);
    expect(s.cloud.live()).toHaveLength(0);
  });

  it('flags a 500 on create as maybe-created (the instance really exists)', async () => {
    const s = await start(name);
    const p: BurstProvider = providerFor(name, s.url);
    const [offer] = await p.listOffers({ gpuType: GPU[name], gpuCount: 1, diskGb: 40 });
    s.cloud.failNext('create', 'created-then-500');
    const err = await p.launch(spec(offer!, 'luna-default-fivexx')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect((err as ProviderError).maybeCreated).toBe(true);
    expect((await p.list()).map((i) => i.name)).toContain('luna-default-fivexx');
  });
});

describe('lambda specifics', () => {
  it('refuses to launch without an SSH key name (Lambda requires exactly one)', async () => {
    const s = await start('lambda');
    const { createProvider } = await import('../../src/burst/providers/index.js');
    const { burstConfig } = await import('./helpers.js');
    const p = createProvider(burstConfig({ providers: { lambda: { baseUrl: s.url, apiKey: KEY } } }), 'lambda');
    const [offer] = await p.listOffers({ gpuCount: 1 });
    await expect(p.launch(spec(offer!))).rejects.toThrow(/SSH key/);
    expect(s.cloud.requests.filter((r) => r.path.endsWith('/launch'))).toHaveLength(0);
  });

  it('only offers regions with capacity', async () => {
    const s = await start('lambda');
    const offers = await providerFor('lambda', s.url).listOffers({ gpuCount: 1 });
    expect(offers.some((o) => o.gpuType === 'gpu_1x_h100_pcie')).toBe(false);
    expect(offers.filter((o) => o.gpuType === 'gpu_1x_a100_sxm4').map((o) => o.region).sort()).toEqual(['us-east-1', 'us-west-2']);
  });
});
