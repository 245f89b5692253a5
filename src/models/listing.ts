/** What `luna models list` shows: every configured model, who uses it, and whether it answers. */
import { existsSync, statSync } from 'node:fs';
import type { LunaConfig, ModelConfig } from '../config/schema.js';
import { createModelRegistry } from './registry.js';

export type ModelStatus = 'ok' | 'down' | 'missing' | 'unchecked';

export interface ModelStatusRow {
  name: string;
  provider: ModelConfig['provider'];
  /** Provider model id, or the GGUF path for local models. */
  model: string;
  usedBy: string[];
  status: ModelStatus;
  detail: string;
  latencyMs: number | null;
}

export function usedBy(config: LunaConfig, name: string): string[] {
  const out: string[] = [];
  for (const [agent, a] of Object.entries(config.agents)) {
    if (a.model === name) out.push(agent);
    else if (a.fallbacks.includes(name)) out.push(`${agent} (fallback)`);
    if ('embeddingModel' in a && a.embeddingModel === name) out.push(`${agent} (embeddings)`);
  }
  return out;
}

/**
 * Local models are checked by file (loading weights just to list them would be slow); remote ones are pinged
 * in parallel with a short timeout. `check: false` skips the network entirely.
 */
export async function listModels(config: LunaConfig, opts: { check?: boolean; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<ModelStatusRow[]> {
  const check = opts.check ?? true;
  const timeoutMs = opts.timeoutMs ?? 3000;
  const registry = createModelRegistry(config, { env: opts.env });
  try {
    return await Promise.all(Object.entries(config.models).map(async ([name, m]): Promise<ModelStatusRow> => {
      const base = { name, provider: m.provider, model: m.provider === 'local' ? m.path : m.model, usedBy: usedBy(config, name) };
      if (m.provider === 'local') {
        if (!existsSync(m.path)) {
          const demo = /stories260K\.gguf$/.test(m.path);
          return { ...base, status: 'missing', detail: demo ? 'file not found; run `luna models pull demo`' : 'file not found', latencyMs: null };
        }
        return { ...base, status: 'ok', detail: `${(statSync(m.path).size / 1e6).toFixed(1)} MB on disk`, latencyMs: null };
      }
      if (!check) return { ...base, status: 'unchecked', detail: '', latencyMs: null };
      const signal = AbortSignal.timeout(timeoutMs);
      const ping = await registry.get(name).ping(signal);
      return { ...base, status: ping.ok ? 'ok' : 'down', detail: ping.detail, latencyMs: Math.round(ping.latencyMs) };
    }));
  } finally {
    await registry.close();
  }
}
