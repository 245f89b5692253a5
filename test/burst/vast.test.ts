import { afterEach, describe, expect, it } from 'vitest';
import type { LaunchSpec, Offer } from '../../src/burst/types.js';
import type { FakeServer } from './fakes/cloud.js';
import { startFakeVast } from './fakes/vast.js';
import { KEY, providerFor } from './helpers.js';

let servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

async function start(opts: Partial<Parameters<typeof startFakeVast>[0]> = {}) {
  const s = await startFakeVast({ apiKey: KEY, ...opts });
  servers.push(s);
  return { s, p: providerFor('vast', s.url) };
}

const spec = (offer: Offer, name: string): LaunchSpec => ({ name, offer, image: 'vllm/vllm-openai:latest', model: 'Qwen/Qwen2.5-0.5B-Instruct', apiKey: 'sk-luna-vast', port: 8000, diskGb: 80, hfToken: null });

describe('vast offers', () => {
  it('filter out hosts without a direct port, with too old a driver, too little disk, low reliability, unverified or external', async () => {
    const { s, p } = await start();
    const offers = await p.listOffers({ gpuType: 'RTX_4090', gpuCount: 1, diskGb: 80 });
    expect(offers.map((o) => o.offerId)).toEqual(['4242002', '4242001']);
    const filter = s.cloud.requests.find((r) => r.path === '/api/v0/bundles/')!.body as Record<string, unknown>;
    expect(filter).toMatchObject({
      direct_port_count: { gte: 1 },
      verified: { eq: true },
      external: { eq: false },
      disk_space: { gte: 80 },
      cuda_max_good: { gte: 12.8 },
      reliability2: { gte: 0.9 },
    });
  });

  it('take the CUDA and reliability floors from config', async () => {
    const s = await startFakeVast({ apiKey: KEY });
    servers.push(s);
    const p = providerFor('vast', s.url, { minCudaVersion: '11.8', providers: { vast: { baseUrl: s.url, apiKey: KEY, minReliability: 0.7 } } });
    await p.listOffers({ gpuCount: 1, diskGb: 10 });
    const filter = s.cloud.requests.at(-1)!.body as Record<string, unknown>;
    expect(filter).toMatchObject({ cuda_max_good: { gte: 11.8 }, reliability2: { gte: 0.7 }, disk_space: { gte: 10 } });
  });
});

describe('vast instances', () => {
  it('are listed through the paged v1 list (the v0 list answers 410)', async () => {
    const { s, p } = await start({ pageMax: 2 });
    const offers = await p.listOffers({ gpuCount: 1, diskGb: 80 });
    for (let k = 0; k < 5; k++) await p.launch(spec(offers[k % offers.length]!, `luna-default-page${k}`));
    const listed = await p.list();
    expect(listed.map((i) => i.name).sort()).toEqual(['luna-default-page0', 'luna-default-page1', 'luna-default-page2', 'luna-default-page3', 'luna-default-page4']);
    const gets = s.cloud.requests.filter((r) => r.method === 'GET');
    expect(gets.filter((r) => r.path === '/api/v1/instances/').length).toBe(3);
    expect(gets.some((r) => r.path === '/api/v0/instances/')).toBe(false);
  });

  it("treat terminate's no_such_instance as already gone", async () => {
    const { p } = await start();
    const [offer] = await p.listOffers({ gpuCount: 1, diskGb: 80 });
    const r = await p.launch(spec(offer!, 'luna-default-gone'));
    await p.terminate(r.providerInstanceId);
    await expect(p.terminate(r.providerInstanceId)).resolves.toBeUndefined();
    await expect(p.terminate('999999')).resolves.toBeUndefined();
  });

  it('map frozen and offline to stopped (not serving), unknown to unknown', async () => {
    const { s, p } = await start();
    const [offer] = await p.listOffers({ gpuCount: 1, diskGb: 80 });
    const ids: string[] = [];
    for (const st of ['frozen', 'offline', 'unknown']) {
      const r = await p.launch(spec(offer!, `luna-default-${st}`));
      s.cloud.instances.get(r.providerInstanceId)!.providerState = st;
      ids.push(r.providerInstanceId);
    }
    const byName = Object.fromEntries((await p.list()).map((i) => [i.name, i.status]));
    expect(byName).toEqual({ 'luna-default-frozen': 'stopped', 'luna-default-offline': 'stopped', 'luna-default-unknown': 'unknown' });
  });
});
