import type { LunaConfig } from '../config/schema.js';

/**
 * Where a ledger row's money went. Cloud: a paid API (anthropic or openai-compatible on a public host).
 * Self-hosted: the local engine, `luna serve` shards, or an openai-compatible server on a private host
 * (priced by cost.selfHosted GPU-hour amortisation). Burst: rented GPU instances (agent `burst`) and the
 * calls they served (free per token: the instance-hours carry the cost).
 */
export type SpendClass = 'cloud' | 'self-hosted' | 'burst';
export const SPEND_CLASSES: readonly SpendClass[] = ['cloud', 'self-hosted', 'burst'];

const BURST_PROVIDERS = new Set(['burst', 'runpod', 'vast', 'lambda']);
const SELF_HOSTED_PROVIDERS = new Set(['local', 'serve']);

export function isPrivateHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h.endsWith('.local') || h.endsWith('.internal') || h.endsWith('.lan')) return true;
  if (h === '::1' || h.startsWith('fc') || h.startsWith('fd') || h.startsWith('fe80:')) return h.includes(':');
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(h);
  if (!m) return false;
  const [a, b] = [Number(m[1]), Number(m[2])];
  return a === 127 || a === 10 || (a === 192 && b === 168) || (a === 172 && b >= 16 && b <= 31) || (a === 169 && b === 254) || a === 0;
}

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
