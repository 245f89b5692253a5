import { NotFoundError, UsageError } from '../../errors.js';
import { apiKeyPrefix, hashApiKey, newApiKeySecret } from '../api-keys.js';
import { newId, nowIso, SHORT_ID_LENGTH } from '../ids.js';
import type { Account, ApiKey } from '../types.js';
import { writeTx, type Db } from './connection.js';
import { toAccount } from './rows.js';

type Row = Record<string, unknown>;

const toKey = (r: Row): ApiKey => ({
  id: r.id as string,
  accountId: r.account_id as string,
  label: r.label as string,
  prefix: r.prefix as string,
  createdAt: r.created_at as string,
  lastUsedAt: (r.last_used_at as string | null) ?? null,
  revokedAt: (r.revoked_at as string | null) ?? null,
});

/** Accounts created on purpose (not ensureAccount's upsert) and their API keys. */
export class SqliteKeys {
  constructor(private readonly db: Db) {}

  createAccount(input: { id?: string; name: string; tier?: string }): Account {
    return writeTx(this.db, () => {
      const id = input.id ?? newId(SHORT_ID_LENGTH);
      if (this.db.prepare('SELECT 1 FROM accounts WHERE id = ?').get(id)) throw new UsageError(`account ${id} already exists`);
      this.db.prepare('INSERT INTO accounts (id, name, tier, created_at) VALUES (?, ?, ?, ?)').run(id, input.name, input.tier ?? 'free', nowIso());
      return toAccount(this.db.prepare('SELECT * FROM accounts WHERE id = ?').get(id) as Row);
    });
  }

  createApiKey(accountId: string, label = ''): { key: ApiKey; secret: string } {
    return writeTx(this.db, () => {
      if (!this.db.prepare('SELECT 1 FROM accounts WHERE id = ?').get(accountId)) throw new NotFoundError(`account ${accountId} not found`);
      const secret = newApiKeySecret();
      const id = newId(SHORT_ID_LENGTH);
      this.db
        .prepare('INSERT INTO api_keys (id, account_id, label, prefix, hash, created_at) VALUES (?, ?, ?, ?, ?, ?)')
        .run(id, accountId, label, apiKeyPrefix(secret), hashApiKey(secret), nowIso());
      return { key: toKey(this.db.prepare('SELECT * FROM api_keys WHERE id = ?').get(id) as Row), secret };
    });
  }

  listApiKeys(accountId?: string): ApiKey[] {
    const rows = accountId === undefined
      ? this.db.prepare('SELECT * FROM api_keys ORDER BY created_at, id').all()
      : this.db.prepare('SELECT * FROM api_keys WHERE account_id = ? ORDER BY created_at, id').all(accountId);
    return (rows as Row[]).map(toKey);
  }

  revokeApiKey(id: string): boolean {
    return writeTx(this.db, () => this.db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(nowIso(), id).changes > 0);
  }

  resolveApiKey(secret: string): { keyId: string; accountId: string } | null {
    return writeTx(this.db, () => {
      const r = this.db
        .prepare('UPDATE api_keys SET last_used_at = ? WHERE hash = ? AND revoked_at IS NULL RETURNING id, account_id')
        .get(nowIso(), hashApiKey(secret)) as Row | undefined;
      return r ? { keyId: r.id as string, accountId: r.account_id as string } : null;
    });
  }
}
