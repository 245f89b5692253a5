import { readFileSync } from 'node:fs';
import { lastStepFile, readLastStep } from '../../src/burst/last-step.js';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { Autoscaler } from '../../src/burst/autoscaler.js';
import { BurstEndpointSource } from '../../src/burst/endpoint-source.js';
import { BurstManager } from '../../src/burst/manager.js';
import { createProvider } from '../../src/burst/providers/index.js';
import { planRequest, searchOffers } from '../../src/burst/plan.js';
import type { ProviderName } from '../../src/burst/types.js';
import { BudgetError, ExitCode } from '../../src/errors.js';
import type { FakeServer } from './fakes/cloud.js';
import { startFakeLambda } from './fakes/lambda.js';
import { startFakeRunPod } from './fakes/runpod.js';
import { startFakeVast } from './fakes/vast.js';
import type { FakeVllm } from './fakes/vllm.js';
import { burstConfig, KEY, lambdaVllm, until, useScratchStore } from './helpers.js';

/** Plays `luna serve`'s metrics endpoint: one gauge per shard. */
async function startLunaMetrics(): Promise<{ url: string; waiting: number; close(): Promise<void> }> {
  const state = { waiting: 0 };
  const server: Server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
    const a = Math.ceil(state.waiting / 2);
    res.end(`# HELP luna_shard_requests_waiting Requests waiting per shard\n# TYPE luna_shard_requests_waiting gauge\nluna_shard_requests_waiting{shard="writer-a"} ${a}\nluna_shard_requests_waiting{shard="writer-b"} ${state.waiting - a}\n`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/metrics`,
    get waiting() { return state.waiting; },
    set waiting(v) { state.waiting = v; },
    close: () => new Promise<void>((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

const starters = { lambda: startFakeLambda, vast: startFakeVast, runpod: startFakeRunPod };
const scratch = useScratchStore();

async function setup(name: ProviderName, over: Record<string, unknown> = {}, fake: Partial<Parameters<typeof startFakeLambda>[0]> = {}) {
  let vllm: FakeVllm | undefined;
  if (name === 'lambda') { vllm = await lambdaVllm(); scratch.closers.push(vllm); }
  const server: FakeServer = await starters[name]({ apiKey: KEY, bootMs: 150, readyAfterMs: 150, fixedVllm: vllm, ...fake });
  scratch.closers.push(server);
  const p: Record<string, unknown> = { baseUrl: server.url, apiKey: KEY };
  if (name === 'lambda') Object.assign(p, { sshKeyName: 'luna-test', allowedSources: ['127.0.0.1/32'] });
  if (name === 'runpod') p.proxyUrl = `${server.url}/proxy/{podId}`;
  const config = burstConfig({ provider: name, providers: { [name]: p }, ...(vllm ? { port: vllm.port } : {}), ...over });
  const manager = new BurstManager({ store: scratch.store, config, providers: [createProvider(config, name)], pollMs: 20, billEveryMs: 0 });
  return { server, config, manager };
}

describe.each(['runpod', 'vast', 'lambda'] as ProviderName[])('burst end to end against fake %s', (name) => {
  it('queue builds → watch launches → ready → routed via openai SDK → idle → terminated, spend ledgered', async () => {
    const metrics = await startLunaMetrics();
    scratch.closers.push(metrics);
    const { server, config, manager } = await setup(name, { metricsUrl: metrics.url, scaleUpQueueDepth: 4, scaleUpWindowMs: 50, cooldownMs: 0, idleTtlMs: 400, maxInstances: 1 });
    const scaler = new Autoscaler(manager, { request: planRequest(config), memoryFile: path.join(scratch.dir, 'memory.json') });
    const source = new BurstEndpointSource(scratch.store, { deployment: config.deployment, modelId: config.model, cacheMs: 0 });

    metrics.waiting = 12;
    const first = await scaler.step();
    expect(first.waiting).toBe(12);
    expect(first.launched).toEqual([]);
    const launchedStep = await until(async () => { const r = await scaler.step(); return r.launched.length ? r : null; }, 'a launch');
    expect(launchedStep.decisions.find((d) => d.action === 'launch')).toBeTruthy();
    expect(server.cloud.live()).toHaveLength(1);
    const [inst] = await scratch.store.listBurstInstances({ deployment: 'default' });
    expect(inst!.name).toBe(`luna-default-${inst!.id}`);
    expect(server.cloud.live()[0]!.name).toBe(inst!.name);
    expect(await source.endpointsFor('writer')).toEqual([]);

    await until(async () => { await scaler.step(); return (await scratch.store.getBurstInstance(inst!.id))?.state === 'ready'; }, 'ready');
    const eps = await source.endpointsFor('writer');
    expect(eps).toHaveLength(1);
    expect(eps[0]).toMatchObject({ id: `burst:${inst!.name}`, source: 'burst', modelId: 'Qwen/Qwen2.5-0.5B-Instruct' });
    expect(await source.endpointsFor('strategist')).toEqual([]);
    const client = new OpenAI({ baseURL: eps[0]!.baseUrl, apiKey: eps[0]!.apiKey!, maxRetries: 0 });
    const chat = await client.chat.completions.create({ model: eps[0]!.modelId!, messages: [{ role: 'user', content: 'the fox' }] });
    expect(chat.choices[0]!.message.content).toBe('burst reply to: the fox');
    const wrongKey = new OpenAI({ baseURL: eps[0]!.baseUrl, apiKey: 'sk-wrong', maxRetries: 0 });
    await expect(wrongKey.models.list()).rejects.toMatchObject({ status: 401 });

    metrics.waiting = 0;
    const done = await until(async () => { const r = await scaler.step(); return r.terminated.length ? r : null; }, 'idle termination');
    expect(done.decisions.find((d) => d.action === 'terminate')).toMatchObject({ reason: expect.stringMatching(/idle/) });
    expect(server.cloud.live()).toHaveLength(0);
    expect(await source.endpointsFor('writer')).toEqual([]);
    const final = await scratch.store.getBurstInstance(inst!.id);
    expect(final).toMatchObject({ state: 'terminated' });
    const rows = await scratch.store.listCalls({ agent: 'burst' });
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.every((r) => r.instanceId === inst!.id && r.provider === name && r.model === inst!.gpuType && r.inputTokens === 0)).toBe(true);
    const spent = rows.reduce((s, r) => s + (r.costUsd ?? 0), 0);
    const lifetime = Date.parse(final!.terminatedAt!) - Date.parse(final!.launchedAt);
    expect(spent).toBeCloseTo((inst!.pricePerHour * lifetime) / 3_600_000, 9);
    expect(JSON.stringify(rows)).not.toContain(inst!.apiKey);
  });
});

describe('burst manager', () => {
  it('after a 500 on create, finds the instance by name instead of launching a second one', async () => {
    const { server, config, manager } = await setup('runpod');
    server.cloud.failNext('create', 'created-then-500');
    const { offers } = await searchOffers([...manager.providers.values()], planRequest(config));
    const inst = await manager.launch(offers[0]!);
    expect(server.cloud.live()).toHaveLength(1);
    expect(inst.providerInstanceId).toBe(server.cloud.live()[0]!.id);
    expect(inst.state).toBe('starting');
    expect(server.cloud.requests.filter((r) => JSON.stringify(r.body).includes('podFindAndDeployOnDemand'))).toHaveLength(1);
    await manager.retire(inst, 'test');
    expect(server.cloud.live()).toHaveLength(0);
  });

  it('a 500 with nothing created is retried once after checking by name', async () => {
    const { server, config, manager } = await setup('vast');
    server.cloud.failNext('create', 'server-error');
    const { offers } = await searchOffers([...manager.providers.values()], planRequest(config));
    const inst = await manager.launch(offers[0]!);
    expect(server.cloud.live()).toHaveLength(1);
    expect(server.cloud.requests.filter((r) => r.method === 'PUT')).toHaveLength(2);
    await manager.retire(inst, 'test');
  });

  it('the monthly budget refuses a launch with BudgetError before calling the provider', async () => {
    const { server, config, manager } = await setup('vast', { monthlyBudgetUsd: 5 });
    await scratch.store.recordCalls([{ accountId: 'local', storyId: null, turnId: null, agent: 'burst', provider: 'vast', model: 'RTX_4090', inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimated: false, latencyMs: 0, ttftMs: null, outcome: 'ok', costUsd: 4.9, priceInPerMTok: null, priceOutPerMTok: null, instanceId: 'earlier' }]);
    const { offers } = await searchOffers([...manager.providers.values()], planRequest(config));
    const err = await manager.launch(offers[0]!).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetError);
    expect((err as BudgetError).exitCode).toBe(ExitCode.budget);
    expect((err as Error).message).toMatch(/\$4\.90.*monthlyBudgetUsd \$5\.00/);
    expect(server.cloud.requests.filter((r) => r.method === 'PUT')).toHaveLength(0);
    expect(await scratch.store.listBurstInstances({ deployment: 'default' })).toEqual([]);
  });

  it('checks a whole request against the hourly cap, naming the first instance that would pass it', async () => {
    const { server, manager } = await setup('vast', { maxHourlySpend: 1 });
    expect(await manager.assertBudgetFor(2, 0.4)).toBeCloseTo(0.8);
    const err = await manager.assertBudgetFor(3, 0.4).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetError);
    expect((err as Error).message).toMatch(/^burst launch refused: instance 3 of 3 would raise burst spend to \$1\.20\/h/);
    expect((err as BudgetError).hint).toMatch(/lower --count/);
    expect(server.cloud.requests.filter((r) => r.method === 'PUT')).toHaveLength(0);
  });

  it('waitReady reports ready once every launched instance answers /health', async () => {
    const { config, manager } = await setup('vast');
    const { offers } = await searchOffers([...manager.providers.values()], planRequest(config));
    const inst = await manager.launch(offers[0]!);
    const seen: string[] = [];
    const outcome = await manager.waitReady([inst.id], { timeoutMs: 60_000, pollMs: 100, onProgress: (ready, n) => seen.push(`${ready}/${n}`) });
    expect(outcome).toBe('ready');
    expect(seen.at(-1)).toBe('1/1');
    expect((await scratch.store.getBurstInstance(inst.id))!.state).toBe('ready');
    await manager.retire(inst, 'test');
  });

  it('drains in-flight requests before terminating', async () => {
    const { server, config, manager } = await setup('vast', { drainTimeoutMs: 10_000 });
    const { offers } = await searchOffers([...manager.providers.values()], planRequest(config));
    const inst = await manager.launch(offers[0]!);
    await until(async () => (await manager.reconcile()).instances.find((i) => i.id === inst.id && i.state === 'ready'), 'ready');
    const ready = (await scratch.store.getBurstInstance(inst.id))!;
    const vllm = server.cloud.live()[0]!.vllm!;
    vllm.replyDelayMs = 400;
    const client = new OpenAI({ baseURL: ready.endpoint!, apiKey: ready.apiKey!, maxRetries: 0 });
    const inFlight = client.chat.completions.create({ model: config.model!, messages: [{ role: 'user', content: 'slow' }] });
    await until(async () => vllm.running > 0, 'request running');
    const retired = manager.retire(ready, 'test');
    await until(async () => (await scratch.store.getBurstInstance(inst.id))?.state === 'draining', 'draining');
    const source = new BurstEndpointSource(scratch.store, { deployment: 'default', cacheMs: 0 });
    expect(await source.endpointsFor('writer')).toEqual([]);
    const reply = await inFlight;
    expect(reply.choices[0]!.message.content).toBe('burst reply to: slow');
    await retired;
    expect(server.cloud.live()).toHaveLength(0);
  });

  it('reconcile reports LUNA-named instances unknown to the store as orphans, and ignores others', async () => {
    const { server, manager } = await setup('runpod');
    server.cloud.create({ id: 'orphan1', name: 'luna-default-deadbeef', apiKey: 'k', model: 'm', gpu: 'NVIDIA GeForce RTX 4090', price: 0.34, body: {} });
    server.cloud.create({ id: 'mine', name: 'my-own-notebook', apiKey: 'k', model: 'm', gpu: 'NVIDIA GeForce RTX 4090', price: 0.34, body: {} });
    server.cloud.create({ id: 'otherdep', name: 'luna-prod-cafe', apiKey: 'k', model: 'm', gpu: 'NVIDIA GeForce RTX 4090', price: 0.34, body: {} });
    const r = await manager.reconcile();
    expect(r.orphans.map((o) => o.instance.name)).toEqual(['luna-default-deadbeef']);
  });

  it("each autoscaler step leaves its decisions and orphans where luna top reads them, with no keys", async () => {
    const { server, config, manager } = await setup('runpod');
    server.cloud.create({ id: 'orphan2', name: 'luna-default-0rphan', apiKey: 'secret-key', model: 'm', gpu: 'NVIDIA GeForce RTX 4090', price: 0.34, body: {} });
    const file = lastStepFile(scratch.dir, config.deployment);
    await new Autoscaler(manager, { request: planRequest(config), lastStepFile: file }).step();
    const last = readLastStep(file)!;
    expect(last.orphans).toEqual([{ provider: 'runpod', name: 'luna-default-0rphan', providerInstanceId: 'orphan2', status: expect.any(String) }]);
    expect(Date.parse(last.at)).toBeGreaterThan(Date.now() - 60_000);
    expect(Array.isArray(last.decisions)).toBe(true);
    expect(readFileSync(file, 'utf8')).not.toContain('secret-key');
  });
});
