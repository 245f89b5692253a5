import type { LunaConfig } from '../config/schema.js';
import { isPrivateHost } from '../util/private-host.js';

/**
 * Where a ledger row's money went. Cloud: a paid API (anthropic or openai-compatible on a public host).
 * Self-hosted: the local engine, `luna serve` shards, or an openai-compatible server on a private host
 * (priced by cost.selfHosted GPU-hour amortisation). Burst: rented GPU instances (agent `burst`) and the
 * calls they served (free per token: the instance-hours carry the cost).
 */
export type SpendClass = 'cloud' | 'self-hosted' | 'burst';
export const SPEND_CLASSES: readonly SpendClass[] = ['cloud', 'self-hosted', 'burst'];

const BURST_PROVIDERS = new Set(['burst', 'runpod', 'vast', 'lambda']);
// comfyui: image runs on your own ComfyUI server, priced by GPU-seconds (src/images/render.ts).
const SELF_HOSTED_PROVIDERS = new Set(['local', 'serve', 'comfyui']);

/** Classifies ledger rows by (agent, provider, model id), consulting the config for API hosts. */
export function createClassifier(config: LunaConfig): (row: { agent?: string | null; provider?: string | null; model?: string | null }) => SpendClass {
  // Provider model id → does every configured model with that id point at a private host?
  const hostByModelId = new Map<string, boolean>();
  for (const m of Object.values(config.models)) {
    if (m.provider === 'local') continue;
    const base = m.baseUrl ?? (m.provider === 'anthropic' ? 'https://api.anthropic.com' : 'https://api.openai.com/v1');
    let priv = false;
    try {
      priv = isPrivateHost(new URL(base).hostname);
    } catch {
      priv = false;
    }
    const prev = hostByModelId.get(`${m.provider}\u0000${m.model}`);
    hostByModelId.set(`${m.provider}\u0000${m.model}`, prev === undefined ? priv : prev && priv);
  }
  return (row) => {
    const provider = row.provider ?? '';
    if (row.agent === 'burst' || BURST_PROVIDERS.has(provider)) return 'burst';
    if (SELF_HOSTED_PROVIDERS.has(provider)) return 'self-hosted';
    return hostByModelId.get(`${provider}\u0000${row.model ?? ''}`) ? 'self-hosted' : 'cloud';
  };
}
