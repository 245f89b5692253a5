import { existsSync } from 'node:fs';
import type { LunaConfig } from '../config/schema.js';
import type { ModelRegistry } from './registry.js';

export interface EndpointStatus {
  ok: boolean;
  detail: string;
}

/**
 * Endpoint health (the TUI's status bar), through the same registry turns are routed through. Remote models are pinged through the model registry's clients
 * (ping never throws); local GGUF models are only checked on disk, because pinging one would load a
 * second copy of the weights into this process.
 */
export function agentModels(config: LunaConfig): string[] {
  const names = new Set<string>();
  for (const a of Object.values(config.agents)) names.add(a.model);
  return [...names];
}

export async function pingModels(config: LunaConfig, registry: ModelRegistry, signal: AbortSignal, timeoutMs = 3000): Promise<Record<string, EndpointStatus>> {
  const out: Record<string, EndpointStatus> = {};
  await Promise.all(
    agentModels(config).map(async (name) => {
      const m = config.models[name];
      if (!m) return;
      if (m.provider === 'local') {
        out[name] = existsSync(m.path) ? { ok: true, detail: 'file present' } : { ok: false, detail: `missing ${m.path}` };
        return;
      }
      const r = await registry.get(name).ping(AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
      out[name] = { ok: r.ok, detail: r.detail };
    }),
  );
  return out;
}
