/**
 * Prices every call: configs/pricing.yaml (plus `cost.pricingFile`) by model id, a model's own `price:` first,
 * self-hosted pricing for local models and `luna serve` shards. Unknown prices give costUsd null and a warning,
 * never a crash and never a silent zero.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { CONFIGS_DIR, readYamlFile } from '../config/load.js';
import type { LunaConfig, ModelConfig } from '../config/schema.js';
import { ConfigError } from '../errors.js';
import type { Usage } from './types.js';

export interface Price {
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok?: number;
  /** Rates for a call whose prompt (input tokens, cached included) is over `thresholdTokens`, on all its tokens. */
  longPrompt?: { thresholdTokens: number; inputPerMTok: number; outputPerMTok: number; cachedInputPerMTok?: number };
  date?: string;
  source?: string;
}

export interface PriceTable {
  /** The price listed for a provider model id, tolerant of date suffixes and provider prefixes. */
  lookup(modelId: string): (Price & { key: string }) | null;
  entries(): Record<string, Price>;
  selfHosted: { gpuHourUsd: number; tokensPerGpuHour: number };
  /** Models that could not be priced so far (one line each). */
  warnings: string[];
}

export interface PricedCall {
  costUsd: number | null;
  priceInPerMTok: number | null;
  priceOutPerMTok: number | null;
  /** Where the price came from: `config`, `table:<key>`, `self-hosted`, `burst`, or `unknown`. */
  basis: string;
}

export interface CallToPrice {
  /** Config name (key under models:). */
  modelName: string;
  modelConfig: ModelConfig | undefined;
  /** Provider model id actually called. */
  modelId: string;
  usage: Pick<Usage, 'inputTokens' | 'outputTokens' | 'cachedTokens'>;
  /** Set when the call went to a live endpoint rather than the model's own config. */
  via?: 'serve' | 'burst' | null;
}

export function loadPriceTable(config: LunaConfig, opts: { file?: string } = {}): PriceTable {
  const files = [opts.file ?? path.join(CONFIGS_DIR, 'pricing.yaml')];
  if (config.cost.pricingFile) files.push(config.cost.pricingFile);
  const table: Record<string, Price> = {};
  const aliases = new Map<string, string>();
  for (const file of files) {
    if (!existsSync(file)) {
      if (file === files[0]) continue;
      throw new ConfigError(`cost.pricingFile: file not found: ${file}`, { hint: 'fix the path or remove cost.pricingFile' });
    }
    const doc = readYamlFile(file);
    const models = (doc.models ?? {}) as Record<string, unknown>;
    for (const [id, raw] of Object.entries(models)) {
      const p = parsePrice(file, id, raw);
      table[id] = p.price;
      for (const a of p.aliases) aliases.set(a, id);
    }
  }
  const normalized = new Map<string, string>();
  for (const id of Object.keys(table)) normalized.set(normalizeModelId(id), id);
  for (const [a, id] of aliases) normalized.set(normalizeModelId(a), id);
  return {
    lookup(modelId) {
      const key = table[modelId] ? modelId : aliases.get(modelId) ?? normalized.get(normalizeModelId(modelId));
      return key && table[key] ? { ...table[key], key } : null;
    },
    entries: () => ({ ...table }),
    selfHosted: { gpuHourUsd: selfHostedHourUsd(config.cost.selfHosted), tokensPerGpuHour: config.cost.selfHosted.tokensPerGpuHour },
    warnings: [],
  };
}

/** `models/gemini-2.0-flash-001` → `gemini-2.0-flash`; `claude-3-5-haiku-20241022` → `claude-3-5-haiku`. */
export function normalizeModelId(id: string): string {
  return id
    .toLowerCase()
    .replace(/^(models|openai|google|anthropic|gemini|meta-llama)\//, '')
    .replace(/-latest$/, '')
    .replace(/-\d{8}$/, '')
    .replace(/-\d{4}-\d{2}-\d{2}$/, '')
    .replace(/-(00\d|preview(-\d{2}-\d{2,4})?)$/, '');
}

export function priceCall(table: PriceTable, call: CallToPrice): PricedCall {
  const { usage } = call;
  if (call.via === 'burst') {
    // Burst instances are billed per instance-hour by their own ledger rows; charging tokens too would double count.
    return { costUsd: 0, priceInPerMTok: 0, priceOutPerMTok: 0, basis: 'burst' };
  }
  const own = call.modelConfig?.price;
  if (own && call.via !== 'serve') return { ...charge(own, usage), basis: 'config' };
  if (call.via === 'serve' || call.modelConfig?.provider === 'local') {
    const { gpuHourUsd, tokensPerGpuHour } = table.selfHosted;
    const perMTok = gpuHourUsd === 0 ? 0 : (gpuHourUsd / tokensPerGpuHour) * 1_000_000;
    return { ...charge({ inputPerMTok: perMTok, outputPerMTok: perMTok, cachedInputPerMTok: perMTok }, usage), basis: 'self-hosted' };
  }
  const listed = table.lookup(call.modelId);
  if (listed) return { ...charge(listed, usage), basis: `table:${listed.key}` };
  const warning = `no price for model ${call.modelName} (${call.modelId}): its calls are recorded unpriced; add models.${call.modelName}.price to luna.yaml`;
  if (!table.warnings.includes(warning)) table.warnings.push(warning);
  return { costUsd: null, priceInPerMTok: null, priceOutPerMTok: null, basis: 'unknown' };
}

function charge(listed: Price, usage: CallToPrice['usage']): Omit<PricedCall, 'basis'> {
  // Providers that price by prompt length (Claude Haiku 5.5 over 100K, Gemini over 200K) bill the whole call at the higher tier.
  const p = listed.longPrompt && usage.inputTokens > listed.longPrompt.thresholdTokens ? listed.longPrompt : listed;
  const cached = Math.min(usage.cachedTokens, usage.inputTokens);
  const cachedPrice = p.cachedInputPerMTok ?? p.inputPerMTok;
  const cost = ((usage.inputTokens - cached) * p.inputPerMTok + cached * cachedPrice + usage.outputTokens * p.outputPerMTok) / 1_000_000;
  return { costUsd: round(cost), priceInPerMTok: p.inputPerMTok, priceOutPerMTok: p.outputPerMTok };
}

/** Twelve decimals: sub-micro-dollar calls stay visible, float noise does not. */
function round(v: number): number {
  return Math.round(v * 1e12) / 1e12;
}

function parsePrice(file: string, id: string, raw: unknown): { price: Price; aliases: string[] } {
  const r = (raw ?? {}) as Record<string, unknown>;
  const num = numberReader(file, `models.${id}`, r);
  const price: Price = { inputPerMTok: num('inputPerMTok', true)!, outputPerMTok: num('outputPerMTok', true)! };
  const cached = num('cachedInputPerMTok', false);
  if (cached !== undefined) price.cachedInputPerMTok = cached;
  if (r.longPrompt !== undefined) price.longPrompt = parseLongPrompt(file, id, r.longPrompt);
  if (r.date !== undefined) price.date = String(r.date instanceof Date ? r.date.toISOString().slice(0, 10) : r.date);
  if (typeof r.source === 'string') price.source = r.source;
  const aliases = Array.isArray(r.aliases) ? r.aliases.map(String) : [];
  return { price, aliases };
}

function parseLongPrompt(file: string, id: string, raw: unknown): NonNullable<Price['longPrompt']> {
  const num = numberReader(file, `models.${id}.longPrompt`, (raw ?? {}) as Record<string, unknown>);
  const out: NonNullable<Price['longPrompt']> = { thresholdTokens: num('thresholdTokens', true)!, inputPerMTok: num('inputPerMTok', true)!, outputPerMTok: num('outputPerMTok', true)! };
  const cached = num('cachedInputPerMTok', false);
  if (cached !== undefined) out.cachedInputPerMTok = cached;
  return out;
}

/** Reads non-negative numbers from one mapping of a price file, naming the file and key path on error. */
function numberReader(file: string, where: string, r: Record<string, unknown>): (k: string, required: boolean) => number | undefined {
  return (k, required) => {
    const v = r[k];
    if (v === undefined && !required) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
      throw new ConfigError(`${file}: ${where}.${k}: expected a number ≥ 0, found ${JSON.stringify(v) ?? 'nothing'}`);
    }
    return v;
  };
}

/** A self-hosted GPU hour as configured: the hourly figure plus electricity (watts x $/kWh), either may be 0. */
export function selfHostedHourUsd(c: { gpuHourUsd: number; gpuWatts: number; electricityUsdPerKwh: number }): number {
  return c.gpuHourUsd + (c.gpuWatts / 1000) * c.electricityUsdPerKwh;
}
