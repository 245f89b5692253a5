import { NotFoundError, UsageError } from '../../errors.js';
import { apiKeyPrefix, hashApiKey, newApiKeySecret } from '../api-keys.js';
import type { Account, ApiKey } from '../contract/records.js';
import type { AccountStore } from '../contract/roles.js';
import { newId, nowIso, SHORT_ID_LENGTH } from '../ids.js';
import type { SqlContext } from './context.js';

/** Accounts (made on first use by ensureAccount, or on purpose by createAccount) and their API keys. */
export class SqlAccounts implements AccountStore {
  constructor(private readonly c: SqlContext) {}

  ensureAccount(id: string, name?: string, tier?: string): Promise<Account> {
    return this.c.db.transaction(async (q) => {
      await q.run('INSERT INTO accounts (id, name, tier, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING', [id, name ?? id, tier ?? 'free', nowIso()]);
      if (name !== undefined) await q.run('UPDATE accounts SET name = ? WHERE id = ?', [name, id]);
      if (tier !== undefined) await q.run('UPDATE accounts SET tier = ? WHERE id = ?', [tier, id]);
      return this.c.rows.toAccount((await q.get('SELECT * FROM accounts WHERE id = ?', [id]))!);
    }, 'ensuring account');
  }

  async getAccount(id: string): Promise<Account | null> {
    const r = await this.c.db.get('SELECT * FROM accounts WHERE id = ?', [id]);
    return r ? this.c.rows.toAccount(r) : null;
  }

  async listAccounts(): Promise<Account[]> {
    return (await this.c.db.all('SELECT * FROM accounts ORDER BY created_at, id')).map(this.c.rows.toAccount);
  }

  createAccount(input: { id?: string; name: string; tier?: string }): Promise<Account> {
    return this.c.db.transaction(async (q) => {
      const id = input.id ?? newId(SHORT_ID_LENGTH);
      const r = await q.get('INSERT INTO accounts (id, name, tier, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING *', [
        id, input.name, input.tier ?? 'free', nowIso(),
      ]);
      if (!r) throw new UsageError(`account ${id} already exists`);
      return this.c.rows.toAccount(r);
    }, 'creating account');
  }

  createApiKey(accountId: string, label = ''): Promise<{ key: ApiKey; secret: string }> {
    return this.c.db.transaction(async (q) => {
      if (!(await q.get('SELECT 1 FROM accounts WHERE id = ?', [accountId]))) throw new NotFoundError(`account ${accountId} not found`);
      const secret = newApiKeySecret();
      const r = await q.get('INSERT INTO api_keys (id, account_id, label, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *', [
        newId(SHORT_ID_LENGTH), accountId, label, apiKeyPrefix(secret), hashApiKey(secret), nowIso(),
      ]);
      return { key: this.c.rows.toApiKey(r!), secret };
    }, 'creating API key');
  }

  async listApiKeys(accountId?: string): Promise<ApiKey[]> {
    const rows = accountId === undefined
      ? await this.c.db.all('SELECT * FROM api_keys ORDER BY created_at, id')
      : await this.c.db.all('SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, id', [accountId]);
    return rows.map(this.c.rows.toApiKey);
  }

  revokeApiKey(id: string): Promise<boolean> {
    return this.c.db.transaction(async (q) => (await q.run('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL', [nowIso(), id])) > 0, 'revoking API key');
  }

  resolveApiKey(secret: string): Promise<{ keyId: string; accountId: string } | null> {
    return this.c.db.transaction(async (q) => {
      const r = await this.c.d.resolveApiKey(q, hashApiKey(secret));
      return r ? { keyId: r.key_id as string, accountId: r.account_id as string } : null;
    }, 'resolving API key');
  }
}
