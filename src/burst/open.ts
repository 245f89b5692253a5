import type { GlobalOptions } from '../cli/context.js';
import { withStore } from '../cli/context.js';
import type { LoadedConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import type { BurstInstance, Store } from '../store/types.js';
import { unbilledUsd } from './billing.js';
import { BurstManager } from './manager.js';
import { createProvider, eligibleProviders, providerKey } from './providers/index.js';
import { PROVIDERS, type BurstProvider, type ProviderName } from './types.js';

/** Opening burst for a command: the store, the configured providers and a BurstManager over them. No output. */

export function parseProvider(v: string | undefined): ProviderName | undefined {
  if (v === undefined) return undefined;
  if (!(PROVIDERS as readonly string[]).includes(v)) throw new UsageError(`unknown provider "${v}"`, { hint: `one of ${PROVIDERS.join(', ')}` });
  return v as ProviderName;
}

/** Every provider with a key: reconcile must see all clouds LUNA may have rented from. */
export function configuredProviders(loaded: LoadedConfig): BurstProvider[] {
  const cfg = loaded.config.burst;
  return PROVIDERS.filter((n) => providerKey(cfg, n).key).map((n) => createProvider(cfg, n));
}

export interface BurstContext {
  store: Store;
  loaded: LoadedConfig;
  manager: BurstManager;
  /** Providers to rent from for this command (`--provider`, burst.provider, or all with keys). */
  rentFrom: () => BurstProvider[];
}

export interface WithBurstOptions {
  provider?: ProviderName;
  /** Where the manager's progress lines go (launches, drains, terminations); dropped when absent. */
  log?: (line: string) => void;
}

export async function withBurst<T>(g: GlobalOptions, fn: (ctx: BurstContext) => Promise<T>, opts: WithBurstOptions = {}): Promise<T> {
  return withStore(g, async (store, loaded) => {
    const { assertBurstWithinBudget } = await import('../cost/guard.js');
    const manager = new BurstManager({
      store,
      config: loaded.config.burst,
      providers: configuredProviders(loaded),
      log: opts.log,
      // The global hard budget covers every kind of spend, burst included.
      beforeLaunch: () => assertBurstWithinBudget(store, { cost: loaded.config.cost }),
    });
    return fn({ store, loaded, manager, rentFrom: () => eligibleProviders(loaded.config.burst, opts.provider) });
  });
}

/** What commands may show about an instance: never its API key. */
export function publicView(i: BurstInstance): Omit<BurstInstance, 'apiKey'> {
  const { apiKey: _key, ...rest } = i;
  return rest;
}

/** USD each instance has cost: billed ledger rows plus the time not billed yet. */
export async function spendByInstance(store: Store, instances: BurstInstance[], now = Date.now()): Promise<Map<string, number>> {
  const rows = await store.listCalls({ agent: 'burst', limit: 1_000_000 });
  const out = new Map<string, number>();
  for (const r of rows) if (r.instanceId) out.set(r.instanceId, (out.get(r.instanceId) ?? 0) + (r.costUsd ?? 0));
  for (const i of instances) out.set(i.id, (out.get(i.id) ?? 0) + unbilledUsd(i, now));
  return out;
}
