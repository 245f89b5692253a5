import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { NotFoundError } from '../../errors.js';
import { checkRef } from '../../story/find.js';

export async function run(keyId: string, g: GlobalOptions): Promise<void> {
  checkRef(keyId, 'API key');
  await withStore(g, async (store) => {
    if (!(await store.revokeApiKey(keyId))) {
      throw new NotFoundError(`no active API key with id ${keyId}`, { hint: 'list keys with `luna account keys list`' });
    }
    if (g.json) return printJson({ id: keyId, revoked: true });
    process.stdout.write(`revoked key ${keyId}\n`);
  });
}
