import { afterEach, describe, expect, it } from 'vitest';
import type { LaunchSpec, Offer } from '../../src/burst/types.js';
import type { FakeServer } from './fakes/cloud.js';
import { startFakeRunPod } from './fakes/runpod.js';
import { KEY, providerFor, until } from './helpers.js';

let servers: FakeServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

async function start(over: Record<string, unknown> = {}) {
  const s = await startFakeRunPod({ apiKey: KEY, bootMs: 50 });
  servers.push(s);
  return { s, p: providerFor('runpod', s.url, over) };
}

const spec = (offer: Offer, name: string): LaunchSpec => ({ name, offer, image: 'vllm/vllm-openai:latest', model: 'Qwen/Qwen2.5-0.5B-Instruct', apiKey: 'sk-luna-rp', port: 8000, diskGb: 40, hfToken: null });

const gql = (url: string, query: string, variables: unknown) =>
  fetch(`${url}/graphql`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) }).then((r) => r.json() as Promise<{ errors?: { message: string }[] }>);

describe('runpod deploy', () => {
  it('asks for a host whose CUDA driver can run the image (minCudaVersion), so the pod serves', async () => {
    const { s, p } = await start();
    const [offer] = await p.listOffers({ gpuType: 'rtx 4090', gpuCount: 1 });
    const r = await p.launch(spec(offer!, 'luna-default-cuda'));
    expect(s.cloud.live()[0]!.body.minCudaVersion).toBe('12.8');
    const up = await until(async () => (await p.list()).find((i) => i.providerInstanceId === r.providerInstanceId && i.status === 'running'), 'running');
    expect((await fetch(up.endpoint!.replace(/\/v1$/, '/health'))).status).toBe(200);
  });

  it('takes the CUDA floor from burst.minCudaVersion', async () => {
    const { s, p } = await start({ minCudaVersion: '12.9' });
    const [offer] = await p.listOffers({ gpuCount: 1 });
    await p.launch(spec(offer!, 'luna-default-cuda129'));
    expect(s.cloud.live()[0]!.body.minCudaVersion).toBe('12.9');
  });

  it('the fake holds inputs to the published schema: unknown fields and null env values are refused', async () => {
    const { s } = await start();
    const q = 'mutation Deploy($input: PodFindAndDeployOnDemandInput) { podFindAndDeployOnDemand(input: $input) { id } }';
    const base = { cloudType: 'ALL', gpuCount: 1, gpuTypeId: 'NVIDIA GeForce RTX 4090', name: 'x', imageName: 'i' };
    expect((await gql(s.url, q, { input: { ...base, diskGb: 10 } })).errors?.[0]?.message).toMatch(/Field "diskGb" is not defined by type "PodFindAndDeployOnDemandInput"/);
    expect((await gql(s.url, q, { input: { ...base, env: [{ key: 'HF_TOKEN', value: null }] } })).errors?.[0]?.message).toMatch(/"value" of required type "String!"/);
    expect((await gql(s.url, q, { input: { ...base, gpuCount: 1.5 } })).errors?.[0]?.message).toMatch(/Int cannot represent/);
    expect((await gql(s.url, 'mutation T($input: PodTerminateInput) { podTerminate(input: $input) }', { input: { podId: 'x' } })).errors?.[0]?.message).toMatch(/expecting type "PodTerminateInput!"/);
  });
});

describe('runpod pod states', () => {
  it('maps PAUSED and DEAD to stopped and RESTARTING to pending', async () => {
    const { s, p } = await start();
    const [offer] = await p.listOffers({ gpuCount: 1 });
    for (const st of ['PAUSED', 'RESTARTING', 'DEAD']) {
      const r = await p.launch(spec(offer!, `luna-default-${st.toLowerCase()}`));
      s.cloud.instances.get(r.providerInstanceId)!.providerState = st;
    }
    const byName = Object.fromEntries((await p.list()).map((i) => [i.name, i.status]));
    expect(byName).toEqual({ 'luna-default-paused': 'stopped', 'luna-default-restarting': 'pending', 'luna-default-dead': 'stopped' });
  });
});
