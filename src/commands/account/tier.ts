import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import type { LunaConfig } from '../../config/schema.js';
import { UsageError } from '../../errors.js';
import { findAccount } from '../../story/find.js';

/** A tier must be one cost.tiers defines (when it defines any): an unknown tier would carry no quota at all. */
export function assertKnownTier(config: Pick<LunaConfig, 'cost'>, tier: string): void {
  const names = Object.keys(config.cost.tiers);
  if (names.length && !names.includes(tier)) {
    throw new UsageError(`unknown tier "${tier}"`, { hint: `use one of ${names.join(', ')}, or define it under cost.tiers in luna.yaml` });
  }
}

export async function run(accountId: string, tier: string, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store, loaded) => {
    assertKnownTier(loaded.config, tier);
    const before = await findAccount(store, accountId);
    const account = await store.ensureAccount(accountId, undefined, tier);
    if (g.json) return printJson(account);
    process.stdout.write(`account ${account.id}: tier ${before.tier} → ${account.tier} (quotas count this month's turns already played)\n`);
  });
}
