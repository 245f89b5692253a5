import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { ConfigError } from '../../src/errors.js';
import { loadPriceTable, normalizeModelId, priceCall } from '../../src/models/pricing.js';

const agents = { preprocessor: { model: 'm' }, strategist: { model: 'm' }, writer: { model: 'm' }, dreamer: { model: 'm' } };
const cfg = (over: Record<string, unknown> = {}) => configSchema.parse({ models: { m: { provider: 'local', path: '/x.gguf' } }, agents, ...over });
const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedTokens: 0 };

describe('price table', () => {
  const table = loadPriceTable(cfg());

  it('lists the required models with date and source', () => {
    const want: [string, number, number][] = [
      ['claude-3-haiku-20240307', 0.25, 1.25], ['claude-3-5-haiku-20241022', 0.8, 4], ['claude-haiku-4-5', 1, 5],
      ['claude-haiku-4-5-20251001', 1, 5], ['gemini-2.0-flash-lite', 0.075, 0.3], ['gemini-2.5-flash-lite', 0.1, 0.4],
      ['gpt-4o-mini', 0.15, 0.6], ['gpt-4.1-mini', 0.4, 1.6],
    ];
    for (const [id, i, o] of want) {
      const p = table.lookup(id);
      expect(p, id).not.toBeNull();
      expect([p!.inputPerMTok, p!.outputPerMTok]).toEqual([i, o]);
      expect(p!.source).toMatch(/^https:\/\//);
      expect(p!.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    }
    expect(table.lookup('claude-haiku-4-5')!.cachedInputPerMTok).toBe(0.1);
  });

  it('tolerates date suffixes and provider prefixes but does not confuse close names', () => {
    expect(normalizeModelId('gpt-4o-mini-2024-07-18')).toBe('gpt-4o-mini');
    expect(table.lookup('gpt-4o-mini-2024-07-18')?.key).toBe('gpt-4o-mini');
    expect(table.lookup('models/gemini-2.0-flash-lite-001')?.key).toBe('gemini-2.0-flash-lite');
    expect(table.lookup('google/gemini-2.5-flash-lite')?.key).toBe('gemini-2.5-flash-lite');
    expect(table.lookup('claude-3-5-haiku-latest')?.key).toBe('claude-3-5-haiku-20241022');
    expect(table.lookup('gpt-4o-mini-tts')).toBeNull();
    expect(table.lookup('gpt-4')).toBeNull();
  });

  it('prices by table, config override, self-hosted rate, and null when unknown', () => {
    const api = { provider: 'openai-compatible', model: 'gpt-4o-mini', baseUrl: 'https://api.openai.com/v1', apiKeyEnv: 'K', jsonSchema: true, timeoutMs: 1, maxRetries: 0 } as const;
    expect(priceCall(table, { modelName: 'a', modelConfig: api, modelId: 'gpt-4o-mini', usage }).costUsd).toBeCloseTo(0.75, 10);
    const cached = priceCall(table, { modelName: 'a', modelConfig: api, modelId: 'gpt-4o-mini', usage: { ...usage, cachedTokens: 500_000 } });
    expect(cached.costUsd).toBeCloseTo(0.5 * 0.15 + 0.5 * 0.075 + 0.6, 10);
    const own = priceCall(table, { modelName: 'a', modelConfig: { ...api, price: { inputPerMTok: 1, outputPerMTok: 2 } }, modelId: 'gpt-4o-mini', usage });
    expect([own.costUsd, own.basis]).toEqual([3, 'config']);
    const local = { provider: 'local', path: '/x.gguf', threads: 1, contextSize: 512, gpu: false, chat: false, timeoutMs: 1, maxRetries: 0 } as const;
    expect(priceCall(table, { modelName: 'm', modelConfig: local, modelId: 'x.gguf', usage }).costUsd).toBe(0);
    const gpuTable = loadPriceTable(cfg({ cost: { selfHosted: { gpuHourUsd: 2, tokensPerGpuHour: 4_000_000 } } }));
    expect(priceCall(gpuTable, { modelName: 'm', modelConfig: local, modelId: 'x.gguf', usage }).costUsd).toBeCloseTo(1, 10);
    expect(priceCall(gpuTable, { modelName: 'a', modelConfig: api, modelId: 'gpt-4o-mini', usage, via: 'serve' }).priceInPerMTok).toBeCloseTo(0.5, 10);
    // Electricity instead of (or on top of) an hourly figure: 400 W at $0.25/kWh = $0.10 an hour.
    const power = loadPriceTable(cfg({ cost: { selfHosted: { gpuWatts: 400, electricityUsdPerKwh: 0.25, tokensPerGpuHour: 1_000_000 } } }));
    expect(priceCall(power, { modelName: 'm', modelConfig: local, modelId: 'x.gguf', usage }).costUsd).toBeCloseTo(0.2, 10);
    const both = loadPriceTable(cfg({ cost: { selfHosted: { gpuHourUsd: 1, gpuWatts: 400, electricityUsdPerKwh: 0.25, tokensPerGpuHour: 1_000_000 } } }));
    expect(both.selfHosted.gpuHourUsd).toBeCloseTo(1.1, 10);
    // Prompt-length tiers: Claude Haiku 5.5 bills a call whose prompt is over 100K tokens at 5x, every token of it.
    const h55 = (inputTokens: number) => priceCall(table, { modelName: 'h', modelConfig: undefined, modelId: 'claude-haiku-5-5', usage: { inputTokens, outputTokens: 1000, cachedTokens: 0 } });
    expect(h55(100_000).costUsd).toBeCloseTo(100_000 * 0.1 / 1e6 + 1000 * 0.5 / 1e6, 12);
    expect(h55(100_001)).toMatchObject({ priceInPerMTok: 0.5, priceOutPerMTok: 2.5 });
    expect(h55(100_001).costUsd).toBeCloseTo(100_001 * 0.5 / 1e6 + 1000 * 2.5 / 1e6, 12);
    const unknown = priceCall(table, { modelName: 'z', modelConfig: { ...api, model: 'zz' }, modelId: 'zz', usage });
    expect(unknown).toMatchObject({ costUsd: null, priceInPerMTok: null, priceOutPerMTok: null });
    expect(table.warnings.some((w) => w.includes('zz'))).toBe(true);
  });

  it('merges cost.pricingFile over the built-in table and rejects bad entries', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'luna-price-'));
    const file = path.join(dir, 'p.yaml');
    writeFileSync(file, 'models:\n  gpt-4o-mini: { inputPerMTok: 9, outputPerMTok: 9 }\n  my-model: { inputPerMTok: 1, outputPerMTok: 1 }\n');
    const t = loadPriceTable(cfg({ cost: { pricingFile: file } }));
    expect(t.lookup('gpt-4o-mini')!.inputPerMTok).toBe(9);
    expect(t.lookup('my-model')).not.toBeNull();
    writeFileSync(file, 'models:\n  bad: { inputPerMTok: -1, outputPerMTok: 1 }\n');
    expect(() => loadPriceTable(cfg({ cost: { pricingFile: file } }))).toThrow(ConfigError);
    writeFileSync(file, 'models:\n  tiered: { inputPerMTok: 1, outputPerMTok: 1, longPrompt: { inputPerMTok: 2, outputPerMTok: 2 } }\n');
    expect(() => loadPriceTable(cfg({ cost: { pricingFile: file } }))).toThrow(/models\.tiered\.longPrompt\.thresholdTokens: expected a number/);
  });
});
