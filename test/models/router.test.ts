import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema, type LunaConfig } from '../../src/config/schema.js';
import { isAbortError, ModelError } from '../../src/errors.js';
import type { Endpoint } from '../../src/models/endpoints.js';
import { createModelRegistry, type ModelRegistry } from '../../src/models/registry.js';
import { AllModelsFailedError, backoffMs, callModel, callsOf } from '../../src/models/router.js';
import { startOpenAIServer, type LoopbackServer } from '../helpers/openai-server.js';

const KEY = 'sk-routerkey-abcdefghijkl';

function config(a: string, b: string, over: Record<string, unknown> = {}): LunaConfig {
  return configSchema.parse({
    models: {
      primary: { provider: 'openai-compatible', model: 'gpt-4o-mini', baseUrl: a, apiKey: KEY, maxRetries: 2, timeoutMs: 2000 },
      backup: { provider: 'openai-compatible', model: 'gemini-2.5-flash-lite', baseUrl: b, apiKey: KEY, maxRetries: 0, timeoutMs: 2000 },
      mystery: { provider: 'openai-compatible', model: 'mystery-model-7b', baseUrl: b, apiKey: KEY, maxRetries: 0 },
      ...over,
    },
    agents: { preprocessor: { model: 'primary' }, strategist: { model: 'primary' }, writer: { model: 'primary' }, dreamer: { model: 'primary' } },
  });
}

const req = { messages: [{ role: 'user' as const, content: 'Tell me a story' }] };

describe('callModel: retries, fallbacks and ledger records', () => {
  let a: LoopbackServer;
  let b: LoopbackServer;
  let registry: ModelRegistry;
  const waits: number[] = [];
  const sleep = async (ms: number) => { waits.push(ms); };
  beforeAll(async () => {
    a = await startOpenAIServer({ apiKey: KEY });
    b = await startOpenAIServer({ apiKey: KEY });
    registry = createModelRegistry(config(a.baseUrl, b.baseUrl));
  });
  afterEach(() => { waits.length = 0; });
  afterAll(async () => {
    await registry.close();
    await Promise.all([a.close(), b.close()]);
  });

  it('records one ok call priced from the table', async () => {
    a.script({ kind: 'text', chunks: ['Hi'], usage: { prompt_tokens: 1_000, completion_tokens: 500, cached_tokens: 200 } });
    const r = await callModel(registry, { model: 'primary' }, 'writer', req, { sleep });
    expect(r.result.text).toBe('Hi');
    expect(r.modelName).toBe('primary');
    expect(r.calls).toHaveLength(1);
    const c = r.calls[0]!;
    expect(c).toMatchObject({ agent: 'writer', provider: 'openai-compatible', model: 'gpt-4o-mini', outcome: 'ok', inputTokens: 1000, outputTokens: 500, cachedTokens: 200, priceInPerMTok: 0.15, priceOutPerMTok: 0.6 });
    // 800 uncached × 0.15 + 200 cached × 0.075 + 500 × 0.60, per million
    expect(c.costUsd).toBeCloseTo((800 * 0.15 + 200 * 0.075 + 500 * 0.6) / 1e6, 12);
  });

  it('retries a 429 honouring retry-after, then succeeds with outcome retried', async () => {
    a.script({ kind: 'error', status: 429, retryAfter: 1 }, { kind: 'error', status: 500 }, { kind: 'text', chunks: ['ok'] });
    const r = await callModel(registry, { model: 'primary', fallbacks: ['backup'] }, 'strategist', req, { sleep, random: () => 0.5 });
    expect(r.calls.map((c) => c.outcome)).toEqual(['failed', 'failed', 'retried']);
    expect(waits[0]).toBe(1000);
    expect(waits[1]).toBe(backoffMs(1, () => 0.5));
    expect(r.modelName).toBe('primary');
  });

  it('falls back to the next model after a non-retryable error, with outcome fallback and its own price', async () => {
    a.script({ kind: 'error', status: 400, message: 'context too long' });
    b.script({ kind: 'text', chunks: ['from backup'], usage: { prompt_tokens: 100, completion_tokens: 10 } });
    const r = await callModel(registry, { model: 'primary', fallbacks: ['backup'] }, 'writer', req, { sleep });
    expect(waits).toEqual([]);
    expect(r.modelName).toBe('backup');
    expect(r.calls.map((c) => [c.model, c.outcome])).toEqual([['gpt-4o-mini', 'failed'], ['gemini-2.5-flash-lite', 'fallback']]);
    expect(r.calls[1]!.costUsd).toBeCloseTo((100 * 0.1 + 10 * 0.4) / 1e6, 12);
  });

  it('exhausts retries on 500s then falls back', async () => {
    a.script({ kind: 'error', status: 500 }, { kind: 'error', status: 500 }, { kind: 'error', status: 500 });
    b.script({ kind: 'text', chunks: ['saved'] });
    const r = await callModel(registry, { model: 'primary', fallbacks: ['backup'] }, 'writer', req, { sleep });
    expect(r.calls.map((c) => c.outcome)).toEqual(['failed', 'failed', 'failed', 'fallback']);
    expect(waits).toHaveLength(2);
  });

  it('throws one ModelError naming every model, with the failed calls attached', async () => {
    a.script({ kind: 'error', status: 400 });
    b.script({ kind: 'malformed' });
    const err = await callModel(registry, { model: 'primary', fallbacks: ['backup'] }, 'dreamer', req, { sleep }).catch((e: unknown) => e) as AllModelsFailedError;
    expect(err).toBeInstanceOf(ModelError);
    expect(err.message).toMatch(/^all models for dreamer failed: primary: HTTP 400.*; backup: malformed/);
    expect(err.calls.map((c) => c.outcome)).toEqual(['failed', 'failed']);
    expect(callsOf(err)).toBe(err.calls);
    expect(err.message).not.toContain(KEY);
  });

  it('records an unknown model with a null cost and a warning, not a crash', async () => {
    b.script({ kind: 'text', chunks: ['?'] });
    const r = await callModel(registry, { model: 'mystery' }, 'other', req, { sleep });
    expect(r.calls[0]!.costUsd).toBeNull();
    expect(r.calls[0]!.priceInPerMTok).toBeNull();
    expect(registry.prices.warnings.join('\n')).toContain('mystery-model-7b');
  });

  it('signals a restart before retrying a stream that already showed text', async () => {
    a.script({ kind: 'cut', chunks: ['Once', ' upon'] }, { kind: 'text', chunks: ['Fresh', ' start'] });
    const shown: string[] = [];
    const restarts: string[] = [];
    const r = await callModel(registry, { model: 'primary' }, 'writer', req, {
      sleep,
      onText: (t) => shown.push(t),
      onRestart: ({ model }) => { restarts.push(model); shown.length = 0; },
    });
    expect(restarts).toEqual(['primary']);
    expect(shown.join('')).toBe('Fresh start');
    expect(r.result.text).toBe('Fresh start');
    expect(r.calls[0]).toMatchObject({ outcome: 'failed', estimated: true });
    expect(r.calls[0]!.outputTokens).toBeGreaterThan(0);
  });

  it('does not continue on another attempt when text was shown and the caller cannot restart', async () => {
    a.script({ kind: 'cut', chunks: ['Half a'] }, { kind: 'text', chunks: ['never used'] });
    const shown: string[] = [];
    const err = await callModel(registry, { model: 'primary' }, 'writer', req, { sleep, onText: (t) => shown.push(t) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AllModelsFailedError);
    expect(shown.join('')).toBe('Half a');
    expect(a.pending()).toBe(1);
    a.script(); // leave the queue as found
    await callModel(registry, { model: 'primary' }, 'writer', req, { sleep });
  });

  it('rethrows an abort at once, without retrying, with the calls so far', async () => {
    a.script({ kind: 'text', chunks: ['a', 'b', 'c', 'd', 'e'], delayMs: 80 }, { kind: 'text', chunks: ['not reached'] });
    const ctl = new AbortController();
    setTimeout(() => ctl.abort(), 120);
    const err = await callModel(registry, { model: 'primary', fallbacks: ['backup'] }, 'writer', req, { signal: ctl.signal, sleep }).catch((e: unknown) => e);
    expect(isAbortError(err)).toBe(true);
    expect(callsOf(err).map((c) => c.outcome)).toEqual(['failed']);
    expect(a.pending()).toBe(1);
    await callModel(registry, { model: 'primary' }, 'writer', req, { sleep });
  });

  it('times out a hanging server and retries', async () => {
    const reg = createModelRegistry(config(a.baseUrl, b.baseUrl, {
      quick: { provider: 'openai-compatible', model: 'gpt-4o-mini', baseUrl: a.baseUrl, apiKey: KEY, maxRetries: 1, timeoutMs: 300 },
    }));
    a.script({ kind: 'hang' }, { kind: 'text', chunks: ['late but fine'] });
    const r = await callModel(reg, { model: 'quick' }, 'writer', req, { sleep });
    expect(r.calls.map((c) => c.outcome)).toEqual(['failed', 'retried']);
    expect(r.result.text).toBe('late but fine');
    await reg.close();
  });
});

describe('registry: live endpoints', () => {
  it('spreads requests over endpoints round-robin, skips one that failed, and falls back to config when none', async () => {
    const own = await startOpenAIServer({ apiKey: KEY });
    const s1 = await startOpenAIServer();
    const s2 = await startOpenAIServer({ apiKey: 'sk-burst-instance-key' });
    let live: Endpoint[] = [
      { id: 'serve:w1', source: 'serve', baseUrl: s1.baseUrl, modelId: 'served-writer' },
      { id: 'burst:i2', source: 'burst', baseUrl: s2.baseUrl, apiKey: 'sk-burst-instance-key' },
    ];
    const reg = createModelRegistry(config(own.baseUrl, own.baseUrl), { endpoints: { endpointsFor: async (n) => (n === 'primary' ? live : []) } });
    const r1 = await callModel(reg, { model: 'primary' }, 'writer', req);
    const r2 = await callModel(reg, { model: 'primary' }, 'writer', req);
    expect(s1.requests.at(-1)?.body.model).toBe('served-writer');
    expect(s2.requests.at(-1)?.body.model).toBe('primary');
    expect([r1.calls[0]!.provider, r2.calls[0]!.provider].sort()).toEqual(['burst', 'serve']);
    expect(r2.calls[0]!.costUsd).toBe(0);
    s1.script({ kind: 'error', status: 503 });
    s1.setDefault({ kind: 'error', status: 503 });
    await callModel(reg, { model: 'primary' }, 'writer', req, { sleep: async () => {} });
    const before = s1.requests.length;
    for (let i = 0; i < 3; i++) await callModel(reg, { model: 'primary' }, 'writer', req);
    expect(s1.requests.length).toBe(before);
    live = [];
    const own0 = own.requests.length;
    const text = await reg.get('primary').generate(req);
    expect(text.text.length).toBeGreaterThan(0);
    expect(own.requests.length).toBe(own0 + 1);
    await reg.close();
    await Promise.all([own.close(), s1.close(), s2.close()]);
  });
});
