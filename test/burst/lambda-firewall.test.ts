import { afterEach, describe, expect, it } from 'vitest';
import { createProvider } from '../../src/burst/providers/index.js';
import type { LaunchSpec, Offer } from '../../src/burst/types.js';
import { ConfigError } from '../../src/errors.js';
import { DEFAULT_FIREWALL, startFakeLambda } from './fakes/lambda.js';
import type { FakeVllm } from './fakes/vllm.js';
import { burstConfig, KEY, lambdaVllm, until } from './helpers.js';

let closers: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const c of closers.reverse()) await c.close();
  closers = [];
});

async function start(allowedSources?: string[]) {
  const vllm: FakeVllm = await lambdaVllm();
  closers.push(vllm);
  const server = await startFakeLambda({ apiKey: KEY, bootMs: 50, fixedVllm: vllm });
  closers.push(server);
  const lambda: Record<string, unknown> = { baseUrl: server.url, apiKey: KEY, sshKeyName: 'luna-test' };
  if (allowedSources) lambda.allowedSources = allowedSources;
  const p = createProvider(burstConfig({ port: vllm.port, providers: { lambda } }), 'lambda', { timeoutMs: 5000 });
  const [offer] = await p.listOffers({ gpuCount: 1 });
  return { server, vllm, p, offer: offer! };
}

const spec = (offer: Offer, port: number): LaunchSpec => ({ name: 'luna-default-fw1', offer, image: 'vllm/vllm-openai:latest', model: 'Qwen/Qwen2.5-0.5B-Instruct', apiKey: 'sk-luna-fw', port, diskGb: 40, hfToken: null });

const reachable = (port: number) => fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2000) }).then((r) => r.status, () => null);

describe('lambda firewall', () => {
  it('opens the server port to the configured sources only, keeping the SSH and ICMP rules, once', async () => {
    const { server, vllm, p, offer } = await start(['127.0.0.1/32', '203.0.113.0/24']);
    expect(await reachable(vllm.port)).toBeNull();
    const r = await p.launch(spec(offer, vllm.port));
    const rules = server.firewall;
    for (const d of DEFAULT_FIREWALL) expect(rules).toContainEqual(d);
    expect(rules.filter((x) => x.port_range?.[0] === vllm.port).map((x) => x.source_network).sort()).toEqual(['127.0.0.1/32', '203.0.113.0/24']);
    await until(async () => (await p.list()).find((i) => i.providerInstanceId === r.providerInstanceId && i.status === 'running'), 'running');
    await until(async () => (await reachable(vllm.port)) !== null, 'port open');
    await p.launch({ ...spec(offer, vllm.port), name: 'luna-default-fw2' });
    expect(server.cloud.requests.filter((x) => x.method === 'PUT' && x.path === '/api/v1/firewall-rules')).toHaveLength(1);
  });

  it('a rule for other sources leaves the port closed to us', async () => {
    const { vllm, p, offer } = await start(['10.0.0.0/8']);
    await p.launch(spec(offer, vllm.port));
    await new Promise((r) => setTimeout(r, 150));
    expect(await reachable(vllm.port)).toBeNull();
  });

  it('refuses to launch without allowedSources, before renting anything', async () => {
    const { server, vllm, p, offer } = await start();
    expect(p.access().ok).toBe(false);
    const err = await p.launch(spec(offer, vllm.port)).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).hint).toMatch(/allowedSources/);
    expect(server.cloud.requests.some((x) => x.path.endsWith('/launch'))).toBe(false);
  });
});
