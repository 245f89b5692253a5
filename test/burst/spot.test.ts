import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Autoscaler } from '../../src/burst/autoscaler.js';
import { BurstManager } from '../../src/burst/manager.js';
import { planRequest, searchOffers } from '../../src/burst/plan.js';
import { createProvider } from '../../src/burst/providers/index.js';
import type { FakeServer } from './fakes/cloud.js';
import { startFakeRunPod } from './fakes/runpod.js';
import { startFakeVast } from './fakes/vast.js';
import { burstConfig, KEY, until, useScratchStore } from './helpers.js';

const scratch = useScratchStore();

function managerFor(name: 'runpod' | 'vast', server: FakeServer, over: Record<string, unknown> = {}) {
  const p: Record<string, unknown> = { baseUrl: server.url, apiKey: KEY };
  if (name === 'runpod') p.proxyUrl = `${server.url}/proxy/{podId}`;
  const config = burstConfig({ provider: name, providers: { [name]: p }, spot: true, metricsUrl: 'http://127.0.0.1:9/metrics', ...over });
  return { config, manager: new BurstManager({ store: scratch.store, config, providers: [createProvider(config, name)], pollMs: 20, billEveryMs: 0 }) };
}

describe('spot capacity', () => {
  it('RunPod: rents a spot pod first; an interruption is reconciled like a crash and the pod replaced, nothing leaks', async () => {
    const server = await startFakeRunPod({ apiKey: KEY, bootMs: 50, readyAfterMs: 50 });
    scratch.closers.push(server);
    const { config, manager } = managerFor('runpod', server, { gpuType: 'rtx 4090' });
    const { offers } = await searchOffers([...manager.providers.values()], planRequest(config));
    expect(offers[0]).toMatchObject({ interruptible: true, pricePerHour: 0.17 });
    expect(offers.some((o) => !o.interruptible)).toBe(true);
    const inst = await manager.launchBest(offers);
    expect(server.cloud.live()[0]!.body).toMatchObject({ interruptible: true, bidPerGpu: 0.17 });
    await until(async () => (await manager.reconcile()).instances.find((i) => i.id === inst.id && i.state === 'ready'), 'ready', 15_000);

    await server.cloud.interrupt(inst.providerInstanceId!, 'spot pod preempted');
    const scaler = new Autoscaler(manager, { request: planRequest(config) });
    const step = await scaler.step();
    expect(step.decisions).toContainEqual(expect.objectContaining({ action: 'launch', reason: expect.stringMatching(/replacing 1 instance/) }));
    expect(step.launched).toHaveLength(1);
    const old = (await manager.instances(true)).find((i) => i.id === inst.id)!;
    expect(old.state).toBe('terminated');
    expect(old.lastError).toMatch(/stopped at the provider: pod EXITED/);
    expect(server.cloud.live()).toHaveLength(1);
    expect(server.cloud.live()[0]!.name).not.toBe(inst.name);
    expect((await manager.instances()).map((i) => i.id)).toEqual(step.launched);
  });

  it('Vast: a refused bid leaves no stopped instance behind, and the on-demand offer is taken', async () => {
    const server = await startFakeVast({ apiKey: KEY, bootMs: 50, readyAfterMs: 50, bidRise: 1.5 });
    scratch.closers.push(server);
    const { config, manager } = managerFor('vast', server, { gpuType: 'RTX_4090' });
    const { offers } = await searchOffers([...manager.providers.values()], planRequest(config));
    expect(offers.slice(0, 2).every((o) => o.interruptible)).toBe(true);
    const inst = await manager.launchBest(offers);
    expect(server.cloud.instances.size).toBe(3);
    expect(server.cloud.live()).toHaveLength(1);
    expect(server.cloud.live()[0]!.body.price).toBeUndefined();
    expect(inst.pricePerHour).toBe(0.355);
  });

  it('without burst.spot only on-demand offers are listed', async () => {
    const server = await startFakeRunPod({ apiKey: KEY });
    scratch.closers.push(server);
    const { config, manager } = managerFor('runpod', server, { spot: false });
    const { offers } = await searchOffers([...manager.providers.values()], planRequest(config));
    expect(offers.length).toBeGreaterThan(0);
    expect(offers.some((o) => o.interruptible)).toBe(false);
  });
});
