import { BusyError, NotFoundError, UsageError } from '../../errors.js';
import { apiKeyPrefix, hashApiKey, newApiKeySecret } from '../api-keys.js';
import { looksLikeIdPrefix, newId, nowIso, SHORT_ID_LENGTH } from '../ids.js';
import { DEFAULT_ACCOUNT_ID, type Account, type ApiKey, type Story, type StorySummary } from '../types.js';
import type { PgDb, Q, Row } from './connection.js';
import { toAccount, toApiKey, toStory } from './rows.js';

/** Exact id first, else a unique prefix; ids are COLLATE "C", so [prefix, prefix + '{') is exactly the prefix range. */
export async function findByIdOrPrefix(q: Q, table: 'stories' | 'turns', id: string, what: string): Promise<Row | undefined> {
  const exact = await q.one(`SELECT * FROM ${table} WHERE id = $1`, [id]);
  if (exact) return exact;
  const prefix = id.toLowerCase();
  if (!looksLikeIdPrefix(prefix)) return undefined;
  const rows = await q.rows(`SELECT * FROM ${table} WHERE id >= $1 AND id < $2 ORDER BY id LIMIT 2`, [prefix, `${prefix}{`]);
  if (rows.length > 1) throw new UsageError(`${what} id "${id}" is ambiguous: it starts more than one ${what} id`, { hint: 'type more characters of the id' });
  return rows[0];
}

export async function requireStory(q: Q, storyId: string, lock = false): Promise<Row> {
  const r = await q.one(`SELECT * FROM stories WHERE id = $1${lock ? ' FOR UPDATE' : ''}`, [storyId]);
  if (!r) throw new NotFoundError(`story ${storyId} not found`);
  return r;
}

export class PgStories {
  constructor(private readonly db: PgDb) {}

  ensureAccount(id: string, name?: string, tier?: string): Promise<Account> {
    return this.db.tx(async (q) => {
      await q.run(`INSERT INTO accounts (id, name, tier, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING`, [id, name ?? id, tier ?? 'free', nowIso()]);
      if (name !== undefined) await q.run('UPDATE accounts SET name = $1 WHERE id = $2', [name, id]);
      if (tier !== undefined) await q.run('UPDATE accounts SET tier = $1 WHERE id = $2', [tier, id]);
      return toAccount((await q.one('SELECT * FROM accounts WHERE id = $1', [id]))!);
    }, 'ensuring account');
  }

  async getAccount(id: string): Promise<Account | null> {
    const r = await this.db.read((q) => q.one('SELECT * FROM accounts WHERE id = $1', [id]));
    return r ? toAccount(r) : null;
  }

  async listAccounts(): Promise<Account[]> {
    return (await this.db.read((q) => q.rows('SELECT * FROM accounts ORDER BY created_at, id'))).map(toAccount);
  }

  createAccount(input: { id?: string; name: string; tier?: string }): Promise<Account> {
    return this.db.tx(async (q) => {
      const id = input.id ?? newId(SHORT_ID_LENGTH);
      const r = await q.one(`INSERT INTO accounts (id, name, tier, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING RETURNING *`, [
        id, input.name, input.tier ?? 'free', nowIso(),
      ]);
      if (!r) throw new UsageError(`account ${id} already exists`);
      return toAccount(r);
    }, 'creating account');
  }

  createApiKey(accountId: string, label = ''): Promise<{ key: ApiKey; secret: string }> {
    return this.db.tx(async (q) => {
      if (!(await q.one('SELECT 1 FROM accounts WHERE id = $1', [accountId]))) throw new NotFoundError(`account ${accountId} not found`);
      const secret = newApiKeySecret();
      const r = await q.one(`INSERT INTO api_keys (id, account_id, label, prefix, hash, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`, [
        newId(SHORT_ID_LENGTH), accountId, label, apiKeyPrefix(secret), hashApiKey(secret), nowIso(),
      ]);
      return { key: toApiKey(r!), secret };
    }, 'creating API key');
  }

  async listApiKeys(accountId?: string): Promise<ApiKey[]> {
    const rows = await this.db.read((q) =>
      accountId === undefined
        ? q.rows('SELECT * FROM api_keys ORDER BY created_at, id')
        : q.rows('SELECT * FROM api_keys WHERE account_id = $1 ORDER BY created_at, id', [accountId]),
    );
    return rows.map(toApiKey);
  }

  revokeApiKey(id: string): Promise<boolean> {
    return this.db.tx(async (q) => (await q.run('UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL', [nowIso(), id])) > 0);
  }

  /** Through a SECURITY DEFINER function, so it works before any account is known (even as luna_app). */
  resolveApiKey(secret: string): Promise<{ keyId: string; accountId: string } | null> {
    return this.db.tx(async (q) => {
      const r = await q.one('SELECT * FROM luna_resolve_api_key($1)', [hashApiKey(secret)]);
      return r ? { keyId: r.key_id as string, accountId: r.account_id as string } : null;
    }, 'resolving API key');
  }

  createStory(input: { accountId?: string; title: string; premise: string; style?: string }): Promise<Story> {
    const accountId = input.accountId ?? this.db.accountId ?? DEFAULT_ACCOUNT_ID;
    return this.db.tx(async (q) => {
      if (!(await q.one('SELECT 1 FROM accounts WHERE id = $1', [accountId]))) {
        throw new NotFoundError(`account ${accountId} not found`, { hint: 'create it first: luna account create' });
      }
      const now = nowIso();
      const r = await q.one(`INSERT INTO stories (id, account_id, title, premise, style, head_turn_id, created_at, updated_at)
                             VALUES ($1, $2, $3, $4, $5, NULL, $6, $6) RETURNING *`, [newId(SHORT_ID_LENGTH), accountId, input.title, input.premise, input.style ?? '', now]);
      return toStory(r!);
    }, 'creating story');
  }

  async getStory(id: string): Promise<Story | null> {
    const r = await this.db.read((q) => findByIdOrPrefix(q, 'stories', id, 'story'));
    return r ? toStory(r) : null;
  }

  async listStories(filter: { accountId?: string } = {}): Promise<StorySummary[]> {
    const where = filter.accountId !== undefined ? 'WHERE s.account_id = $1' : '';
    const rows = await this.db.read((q) =>
      q.rows(`SELECT s.*, (SELECT count(*) FROM turns t WHERE t.story_id = s.id) AS turn_count FROM stories s ${where} ORDER BY s.updated_at DESC, s.id`,
        filter.accountId !== undefined ? [filter.accountId] : []),
    );
    return rows.map((r) => ({ ...toStory(r), turnCount: Number(r.turn_count) }));
  }

  deleteStory(id: string): Promise<boolean> {
    return this.db.tx(async (q) => (await q.run('DELETE FROM stories WHERE id = $1', [id])) > 0, 'deleting story');
  }

  setHead(storyId: string, headTurnId: string | null, expectedHeadId?: string | null): Promise<void> {
    return this.db.tx(async (q) => {
      const story = await requireStory(q, storyId, true);
      if (expectedHeadId !== undefined && (story.head_turn_id ?? null) !== expectedHeadId) {
        throw new BusyError('story is busy: it moved on while this turn ran', { hint: 'look at the story again and retry' });
      }
      if (headTurnId !== null && !(await q.one('SELECT 1 FROM turns WHERE id = $1 AND story_id = $2', [headTurnId, storyId]))) {
        throw new NotFoundError(`turn ${headTurnId} not found in story ${storyId}`);
      }
      await q.run('UPDATE stories SET head_turn_id = $1, updated_at = $2 WHERE id = $3', [headTurnId, nowIso(), storyId]);
    }, 'moving head');
  }
}
