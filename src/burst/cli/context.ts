import type { GlobalOptions } from '../../cli/context.js';
import { withStore } from '../../cli/context.js';
import type { LoadedConfig } from '../../config/load.js';
import { UsageError } from '../../errors.js';
import type { Store } from '../../store/types.js';
import { BurstManager } from '../manager.js';
import { createProvider, eligibleProviders, providerKey } from '../providers/index.js';
import { PROVIDERS, type BurstProvider, type ProviderName } from '../types.js';

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

export async function withBurst<T>(g: GlobalOptions, fn: (ctx: BurstContext) => Promise<T>, opts: { provider?: ProviderName; quiet?: boolean } = {}): Promise<T> {
  return withStore(g, async (store, loaded) => {
    const log = opts.quiet || g.json ? () => {} : (line: string) => process.stderr.write(`${line}\n`);
    const { assertBurstWithinBudget } = await import('../../cost/guard.js');
    const manager = new BurstManager({
      store,
      config: loaded.config.burst,
      providers: configuredProviders(loaded),
      log,
      // The global hard budget covers every kind of spend, burst included.
      beforeLaunch: () => assertBurstWithinBudget(store, { cost: loaded.config.cost }),
    });
    return fn({ store, loaded, manager, rentFrom: () => eligibleProviders(loaded.config.burst, opts.provider) });
  });
}

export function ago(iso: string, now = Date.now()): string {
  const s = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}
