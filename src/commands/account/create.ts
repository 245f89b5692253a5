import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { assertKnownTier } from './tier.js';

export async function run(name: string, opts: { id?: string; tier: string }, g: GlobalOptions): Promise<void> {
  if (!name.trim()) throw new UsageError('the account name is empty');
  if (opts.id !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(opts.id)) {
    throw new UsageError(`--id "${opts.id}": use 1–64 letters, digits, dot, dash or underscore`);
  }
  await withStore(g, async (store, loaded) => {
    assertKnownTier(loaded.config, opts.tier);
    const account = await store.createAccount({ id: opts.id, name: name.trim(), tier: opts.tier });
    if (g.json) return printJson(account);
    process.stdout.write(`created account ${account.id} (${account.name}, tier ${account.tier})\nissue a key: luna account keys create ${account.id}\n`);
  });
}
