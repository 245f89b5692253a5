import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { BudgetError, BusyError, DatabaseError, redactSecrets } from '../../src/errors.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/index.js';
import { addTurn, ledgerRow } from '../store/fixtures.js';
import { createDb, dbNameOf, dropDb, useMigratedDb } from './pg-helpers.js';

let url = '';
let store: PostgresStore;
useMigratedDb(6, (u, s) => {
  url = u;
  store = s;
});

/** Runs raw SQL exactly as a scoped store's transactions do: non-owner role, account setting, no WHERE clause. */
async function rawAs(accountId: string, sql: string): Promise<Record<string, unknown>[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query('BEGIN');
    await c.query(`SELECT set_config('role', 'luna_app', true), set_config('luna.account_id', $1, true)`, [accountId]);
    const r = await c.query(sql);
    await c.query('COMMIT');
    return r.rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

describe('multi-tenancy on PostgreSQL', () => {
  it('row-level security: a raw query for account A without any WHERE clause cannot see B’s rows', async () => {
    await store.createAccount({ id: 'acct-a', name: 'A' });
    await store.createAccount({ id: 'acct-b', name: 'B' });
    const sa = await store.createStory({ accountId: 'acct-a', title: 'A story', premise: 'p' });
    const sb = await store.createStory({ accountId: 'acct-b', title: 'B story', premise: 'p' });
    const ta = await addTurn(store, sa.id, 'a acts', 'a prose', { entities: [{ name: 'Ann', kind: 'character' }], ledger: [ledgerRow()], jobs: [{ kind: 'embed-turn' }] });
    const tb = await addTurn(store, sb.id, 'b acts', 'b prose', { entities: [{ name: 'Bob', kind: 'character' }], ledger: [ledgerRow()], jobs: [{ kind: 'embed-turn' }] });
    await store.putEmbedding(ta.id, sa.id, new Float32Array([1, 0]));
    await store.putEmbedding(tb.id, sb.id, new Float32Array([0, 1]));
    await store.addLore(sb.id, { title: 'B lore', keywords: [], body: 'secret', constant: false });
    for (const table of ['stories', 'turns', 'entities', 'ledger', 'jobs', 'embeddings', 'lore', 'accounts']) {
      const rows = await rawAs('acct-a', `SELECT * FROM ${table}`);
      const owners = rows.map((r) => (table === 'accounts' ? r.id : r.account_id));
      expect(owners.includes('acct-b'), `${table} leaks B`).toBe(false);
      if (table !== 'lore') expect(owners, `${table} shows A`).toContain('acct-a');
    }
    // No account set at all: nothing is visible.
    expect(await rawAs('', 'SELECT * FROM turns')).toEqual([]);
    // Writing a row for another account is refused by the policy's WITH CHECK.
    await expect(rawAs('acct-a', `UPDATE stories SET title = 'x' WHERE account_id = 'acct-b' RETURNING id`)).resolves.toEqual([]);
    await expect(rawAs('acct-a', `INSERT INTO ledger (id, account_id, agent, provider, model, input_tokens, output_tokens, cached_tokens, estimated, latency_ms, outcome, created_at)
      VALUES ('x', 'acct-b', 'writer', 'p', 'm', 1, 1, 0, false, 1, 'ok', now())`)).rejects.toThrow(/row-level security/);
  });

  it('a store scoped with forAccount sees and writes only its own account', async () => {
    await store.ensureAccount('c1');
    await store.ensureAccount('c2');
    const s2 = await store.createStory({ accountId: 'c2', title: 'other', premise: 'p' });
    const c1 = store.forAccount('c1');
    const mine = await c1.createStory({ title: 'mine', premise: 'p' });
    expect(mine.accountId).toBe('c1');
    const t = await addTurn(c1, mine.id, 'go', 'went', { ledger: [ledgerRow({ costUsd: 0.25 })] });
    expect((await c1.listStories()).map((s) => s.id)).toEqual([mine.id]);
    expect(await c1.getStory(s2.id)).toBeNull();
    expect(await c1.countTurns(s2.id)).toBe(0);
    expect((await c1.listCalls()).map((c) => c.turnId)).toEqual([t.id]);
    expect((await c1.aggregateCalls([]))[0]?.costUsd).toBeCloseTo(0.25, 9);
    expect((await c1.listAccounts()).map((a) => a.id)).toEqual(['c1']);
    await expect(c1.createStory({ accountId: 'c2', title: 'sneaky', premise: 'p' })).rejects.toThrow(/not found/);
    await expect(c1.recordCalls([{ ...ledgerRow(), accountId: 'c2', storyId: null, turnId: null }])).rejects.toBeInstanceOf(DatabaseError);
    expect(await c1.deleteStory(s2.id)).toBe(false);
    expect(await store.getStory(s2.id)).not.toBeNull();
  });

  it('the reads context assembly makes as an account (on the owner\'s connection, confined by their own condition) see only its stories', async () => {
    await store.ensureAccount('r1');
    await store.ensureAccount('r2');
    const r1 = store.forAccount('r1');
    const mine = await r1.createStory({ title: 'mine', premise: 'p' });
    const theirs = await store.createStory({ accountId: 'r2', title: 'theirs', premise: 'p' });
    const m = await addTurn(r1, mine.id, 'go', 'The lantern swings.', { entities: [{ name: 'Mira', kind: 'character' }] });
    await r1.addLore(mine.id, { title: 'Lantern', body: 'Oil.', keywords: ['lantern'] });
    const o = await addTurn(store, theirs.id, 'go', 'The lantern swings.', { entities: [{ name: 'Oren', kind: 'character' }] });
    await store.addLore(theirs.id, { title: 'Secret', body: 'Hidden.', keywords: ['secret'] });
    const own = await r1.storyMemory(mine.id, m.id);
    expect(own.entities.map((e) => e.name)).toEqual(['Mira']);
    expect(own.lore.map((l) => l.title)).toEqual(['Lantern']);
    expect(own.size.turns).toBe(1);
    // Another account's story reads as an empty one, whatever the caller asks for.
    const other = await r1.storyMemory(theirs.id, o.id);
    expect(other).toMatchObject({ entities: [], facts: [], lore: [], arcs: [], size: { turns: 0, chars: 0, loreChars: 0 } });
    expect(await r1.getTurns(mine.id, [m.id, o.id])).toEqual([m]);
    expect(await r1.getTurns(theirs.id, [o.id])).toEqual([]);
    // The owner still reads every story.
    expect((await store.getTurns(theirs.id, [o.id])).map((t) => t.id)).toEqual([o.id]);
    expect((await store.storyMemory(theirs.id, o.id)).lore.map((l) => l.title)).toEqual(['Secret']);
  });

  it('API keys are stored hashed, shown once, resolvable until revoked (also from a scoped store)', async () => {
    await store.createAccount({ id: 'k-acct', name: 'Keys Inc', tier: 'studio' });
    const { key, secret } = await store.createApiKey('k-acct', 'ci');
    expect(secret).toMatch(/^luna_[0-9a-z]{52}$/);
    expect(secret.startsWith(key.prefix)).toBe(true);
    expect(JSON.stringify(await store.listApiKeys('k-acct'))).not.toContain(secret.slice(key.prefix.length));
    const raw = await rawAs('k-acct', 'SELECT * FROM api_keys');
    expect(JSON.stringify(raw)).not.toContain(secret);
    expect(await store.resolveApiKey(secret)).toEqual({ keyId: key.id, accountId: 'k-acct' });
    expect(await store.forAccount('someone-else').resolveApiKey(secret)).toEqual({ keyId: key.id, accountId: 'k-acct' });
    expect((await store.listApiKeys('k-acct'))[0]!.lastUsedAt).not.toBeNull();
    expect(await store.resolveApiKey(`${secret}x`)).toBeNull();
    expect(await store.revokeApiKey(key.id)).toBe(true);
    expect(await store.revokeApiKey(key.id)).toBe(false);
    expect(await store.resolveApiKey(secret)).toBeNull();
    expect(redactSecrets(`bad key ${secret}`)).not.toContain(secret);
    await expect(store.createAccount({ id: 'k-acct', name: 'dup' })).rejects.toThrow(/already exists/);
  });

  it('a key lookup records its use at most once a minute: the second lookup writes nothing, one after a minute does', async () => {
    await store.createAccount({ id: 'used-acct', name: 'Used' });
    const { key, secret } = await store.createApiKey('used-acct', 'ci');
    const usedAt = async () => (await store.listApiKeys('used-acct')).find((k) => k.id === key.id)!.lastUsedAt;
    expect(await usedAt()).toBeNull();
    await store.resolveApiKey(secret);
    const first = await usedAt();
    expect(first).not.toBeNull();
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      // a row lock held elsewhere would block a write: the second lookup returns at once because it writes nothing
      await c.query('BEGIN');
      await c.query('SELECT 1 FROM api_keys WHERE id = $1 FOR UPDATE', [key.id]);
      expect(await store.resolveApiKey(secret)).toEqual({ keyId: key.id, accountId: 'used-acct' });
      await c.query('ROLLBACK');
      expect(await usedAt()).toBe(first);
      await c.query("UPDATE api_keys SET last_used_at = now() - interval '2 minutes' WHERE id = $1", [key.id]);
      const stale = await usedAt();
      await store.resolveApiKey(secret);
      expect(Date.parse((await usedAt())!)).toBeGreaterThan(Date.parse(stale!));
    } finally {
      await c.end();
    }
  });
});

describe('limits and races inside commitTurn', () => {
  it('two commits racing for the last turn of a quota: exactly one lands, the other is a BudgetError and writes nothing', async () => {
    await store.ensureAccount('quota');
    const a = await store.createStory({ accountId: 'quota', title: 'a', premise: 'p' });
    const b = await store.createStory({ accountId: 'quota', title: 'b', premise: 'p' });
    await addTurn(store, a.id, 'first', 'one', { ledger: [ledgerRow()] });
    const since = new Date(Date.now() - 60_000).toISOString();
    const limits = [{ scope: 'account' as const, since, maxTurns: 2, label: 'test tier: 2 turns' }];
    const results = await Promise.allSettled([
      addTurn(store, a.id, 'x', 'y', { limits, ledger: [ledgerRow()] }),
      addTurn(store, b.id, 'x', 'y', { limits, ledger: [ledgerRow()] }),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(rejected.reason).toBeInstanceOf(BudgetError);
    // The loser waited for the winner and counted its turn: the two commits were serialised.
    expect((rejected.reason as BudgetError).message).toMatch(/turn refused: test tier: 2 turns \(2 played this period\)/);
    expect((await store.countTurns(a.id)) + (await store.countTurns(b.id))).toBe(2);
    expect((await store.listCalls({ accountId: 'quota' })).length).toBe(2);
    // Quotas count turns that made model calls (as SQLite does): an imported story does not use one up.
    await store.importStory({ title: 'imported', premise: 'p', turns: [{ action: 'a', prose: 'b' }] }, 'quota');
    await expect(addTurn(store, a.id, 'x', 'y', { limits: [{ ...limits[0]!, maxTurns: 3 }], ledger: [ledgerRow()] })).resolves.toMatchObject({ storyId: a.id });
    const cost = [{ scope: 'global' as const, since, maxCostUsd: 0, label: 'global budget' }];
    await expect(addTurn(store, b.id, 'x', 'y', { limits: cost, ledger: [ledgerRow({ costUsd: 0.01 })] })).rejects.toBeInstanceOf(BudgetError);
  });

  it('two turns racing on one story serialise: one commits, the other gets BusyError', async () => {
    const st = await store.createStory({ title: 'race', premise: 'p' });
    const base = { storyId: st.id, expectedHeadId: null, parentId: null, plan: null, entities: [], facts: [], ledger: [], jobs: [] };
    const results = await Promise.allSettled(Array.from({ length: 5 }, (_, i) => store.commitTurn({ ...base, action: `a${i}`, prose: `p${i}` })));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(BusyError);
    expect(await store.countTurns(st.id)).toBe(1);
  });
});

describe('migrations on PostgreSQL', () => {
  it('two processes migrating one fresh database at once apply each step exactly once', async () => {
    const fresh = await createDb();
    try {
      const [s1, s2] = await Promise.all([openPostgresStore(fresh, { poolSize: 2 }), openPostgresStore(fresh, { poolSize: 2 })]);
      const [a, b] = await Promise.all([s1.migrateUp(), s2.migrateUp()]);
      const latest = (await s1.migrationStatus()).latest;
      expect([...a, ...b].sort((x, y) => x - y)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
      expect((await s1.listAccounts()).map((x) => x.id)).toEqual(['local']);
      await s1.close();
      await s2.close();
    } finally {
      await dropDb(dbNameOf(fresh));
    }
  });

  it('refuses a database from the future with the same DatabaseError as SQLite', async () => {
    const fresh = await createDb();
    try {
      const s = await openPostgresStore(fresh, { poolSize: 2, autoMigrate: true });
      await s.pool.query(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, 'from_the_future', now())`);
      const err = await s.assertSchemaCurrent().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DatabaseError);
      expect((err as DatabaseError).message).toMatch(/database schema is at version 99 but this luna knows only up to \d+/);
      expect((err as DatabaseError).hint).toBe('upgrade luna');
      await expect(s.migrateUp()).rejects.toBeInstanceOf(DatabaseError);
      await expect(s.migrateDown(0)).rejects.toBeInstanceOf(DatabaseError);
      expect((await s.migrationStatus()).migrations.at(-1)).toMatchObject({ version: 99, name: 'from_the_future' });
      await s.close();
    } finally {
      await dropDb(dbNameOf(fresh));
    }
  });
});
