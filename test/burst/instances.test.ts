import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BurstManager } from '../../src/burst/manager.js';
import { createProvider } from '../../src/burst/providers/index.js';
import type { ProviderName } from '../../src/burst/types.js';
import type { FakeCloudOptions, FakeServer } from './fakes/cloud.js';
import { startFakeLambda } from './fakes/lambda.js';
import { startFakeRunPod } from './fakes/runpod.js';
import { parseUserData } from './fakes/user-data.js';
import { startFakeVast } from './fakes/vast.js';
import { burstConfig, KEY, lambdaVllm, until, useScratchStore } from './helpers.js';

const MODEL = 'Qwen/Qwen2.5-0.5B-Instruct';
const HF = 'hf_GatedModelToken0123456789abcdefXYZ';
const starters = { lambda: startFakeLambda, vast: startFakeVast, runpod: startFakeRunPod };
const scratch = useScratchStore();

async function setup(name: ProviderName, fake: Partial<FakeCloudOptions> = {}, env: NodeJS.ProcessEnv = {}) {
  const vllm = name === 'lambda' ? await lambdaVllm() : undefined;
  if (vllm) scratch.closers.push(vllm);
  const server: FakeServer = await starters[name]({ apiKey: KEY, bootMs: 100, readyAfterMs: 100, fixedVllm: vllm, ...fake });
  scratch.closers.push(server);
  const p: Record<string, unknown> = { baseUrl: server.url, apiKey: KEY };
  if (name === 'lambda') Object.assign(p, { sshKeyName: 'luna-test', allowedSources: ['127.0.0.1/32'] });
  if (name === 'runpod') p.proxyUrl = `${server.url}/proxy/{podId}`;
  const config = burstConfig({ provider: name, providers: { [name]: p }, ...(vllm ? { port: vllm.port } : {}) });
  const lines: string[] = [];
  const manager = new BurstManager({ store: scratch.store, config, providers: [createProvider(config, name)], pollMs: 20, billEveryMs: 0, env, log: (l) => lines.push(l) });
  const [offer] = (await createProvider(config, name).listOffers({ gpuCount: 1 }));
  return { server, manager, offer: offer!, lines };
}

/** The arguments and environment the fake container was started with, as each provider carries them. */
function container(name: ProviderName, body: Record<string, unknown>): { args: string[]; env: Record<string, string> } {
  if (name === 'vast') return { args: body.args as string[], env: body.env as Record<string, string> };
  if (name === 'runpod') return { args: String(body.dockerArgs).split(' '), env: Object.fromEntries((body.env as { key: string; value: string }[]).map((e) => [e.key, e.value])) };
  const run = parseUserData(String(body.user_data))!;
  return { args: run.args, env: run.env };
}

describe.each(['vast', 'runpod', 'lambda'] as ProviderName[])('%s instances', (name) => {
  it('start `vllm serve <model>` with the model positional and HF_TOKEN from the env, which no log or record shows', async () => {
    const { server, manager, offer, lines } = await setup(name, { gatedToken: HF }, { HF_TOKEN: HF });
    const inst = await manager.launch(offer);
    const c = container(name, server.cloud.live()[0]!.body);
    expect(c.args[0]).toBe(MODEL);
    expect(c.args).not.toContain('--model');
    expect(c.env.HF_TOKEN).toBe(HF);
    const changes: string[] = [];
    await until(async () => {
      const rep = await manager.reconcile();
      changes.push(...rep.changes);
      return rep.instances.find((i) => i.id === inst.id && i.state === 'ready');
    }, 'ready', 15_000);
    expect(changes.find((l) => l.includes('ready at'))).toMatch(/after \d+s.*\(disk 80 GB\)/);
    const visible = JSON.stringify([lines, changes, await scratch.store.listBurstInstances({})]);
    expect(visible).not.toContain(HF);
  });
});

describe.each(['vast', 'runpod'] as ProviderName[])('%s: a container that exits', (name) => {
  it('is terminated at once with the provider\'s reason (a gated model without HF_TOKEN), not billed until readyTimeoutMs', async () => {
    const { server, manager, offer } = await setup(name, { gatedToken: HF });
    const inst = await manager.launch(offer);
    const done = await until(async () => (await manager.reconcile()).instances.find((i) => i.id === inst.id && i.state === 'terminated'), 'terminated', 15_000);
    expect(done.lastError).toMatch(/stopped at the provider/);
    if (name === 'vast') expect(done.lastError).toMatch(/gated repo.*HF_TOKEN/);
    expect(server.cloud.live()).toHaveLength(0);
  });
});

describe('readiness reporting', () => {
  it("shows the provider's phase (Vast: Pulling image) while an instance starts", async () => {
    const { manager, offer } = await setup('vast', { bootMs: 1500, readyAfterMs: 100 });
    const inst = await manager.launch(offer);
    const rep = await manager.reconcile();
    expect(rep.phases[inst.id]).toMatch(/^Pulling image \(up \d+s, disk 80 GB\)$/);
    await until(async () => (await manager.reconcile()).phases[inst.id]?.startsWith('loading model'), 'loading model', 15_000);
  });
});
