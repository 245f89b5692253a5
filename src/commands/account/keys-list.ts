import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { checkRef } from '../../story/find.js';

const day = (s: string | null) => (s ? s.replace('T', ' ').slice(0, 16) : '');

export async function run(accountId: string | undefined, g: GlobalOptions): Promise<void> {
  if (accountId !== undefined) checkRef(accountId, 'account');
  await withStore(g, async (store) => {
    const keys = await store.listApiKeys(accountId);
    if (g.json) return printJson(keys);
    if (!keys.length) {
      process.stdout.write(`no API keys${accountId ? ` for ${accountId}` : ''}. Issue one: luna account keys create ACCOUNT\n`);
      return;
    }
    await printTable(
      ['id', 'account', 'prefix', 'label', 'created', 'last used', 'state'],
      keys.map((k) => [k.id, k.accountId, `${k.prefix}…`, k.label, day(k.createdAt), day(k.lastUsedAt), k.revokedAt ? `revoked ${day(k.revokedAt)}` : 'active']),
    );
  });
}
