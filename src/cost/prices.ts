import type { LunaConfig } from '../config/schema.js';
import { loadPriceTable } from '../models/pricing.js';

export interface PriceListing {
  model: string;
  provider: string;
  inputPerMTok: number;
  outputPerMTok: number;
  cachedInputPerMTok: number | null;
  /** Rates for calls whose prompt is over thresholdTokens (whole call), when the provider has such a tier. */
  longPrompt: { thresholdTokens: number; inputPerMTok: number; outputPerMTok: number; cachedInputPerMTok: number | null } | null;
  date: string | null;
  source: string | null;
  /** `table` (configs/pricing.yaml + cost.pricingFile) or `config` (a model's own price: in luna.yaml). */
  origin: 'table' | 'config';
}

/** The provider a price-table model id belongs to, from its publisher's pricing page or its name. */
export function providerOf(modelId: string, source?: string): string {
  const s = `${source ?? ''} ${modelId}`.toLowerCase();
  if (s.includes('anthropic') || modelId.startsWith('claude')) return 'anthropic';
  if (s.includes('ai.google') || modelId.startsWith('gemini')) return 'google';
  if (s.includes('openai') || /^(gpt|o\d)/.test(modelId)) return 'openai';
  return 'other';
}

/** Every price LUNA would charge at: the price table, then per-model overrides from the config. */
export function listPrices(config: LunaConfig): PriceListing[] {
  const table = loadPriceTable(config);
  const out: PriceListing[] = Object.entries(table.entries()).map(([model, p]) => ({
    model, provider: providerOf(model, p.source), inputPerMTok: p.inputPerMTok, outputPerMTok: p.outputPerMTok,
    cachedInputPerMTok: p.cachedInputPerMTok ?? null,
    longPrompt: p.longPrompt ? { ...p.longPrompt, cachedInputPerMTok: p.longPrompt.cachedInputPerMTok ?? null } : null,
    date: p.date ?? null, source: p.source ?? null, origin: 'table',
  }));
  for (const [name, m] of Object.entries(config.models)) {
    if (!m.price) continue;
    out.push({
      model: name, provider: m.provider, inputPerMTok: m.price.inputPerMTok, outputPerMTok: m.price.outputPerMTok,
      cachedInputPerMTok: m.price.cachedInputPerMTok ?? null, longPrompt: null, date: null, source: 'luna.yaml models.' + name + '.price', origin: 'config',
    });
  }
  return out;
}
