import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { checkRef } from '../../story/find.js';

export async function run(accountId: string, opts: { label: string }, g: GlobalOptions): Promise<void> {
  checkRef(accountId, 'account');
  await withStore(g, async (store) => {
    const { key, secret } = await store.createApiKey(accountId, opts.label);
    // The only time the secret exists outside the caller's hands: only its sha256 is stored.
    if (g.json) return printJson({ ...key, secret });
    process.stdout.write(`${secret}\n`);
    process.stderr.write(`key ${key.id} for account ${key.accountId}${key.label ? ` (${key.label})` : ''}: store it now, it is not shown again\n`);
  });
}
