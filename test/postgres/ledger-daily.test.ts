import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { rollupConsistent } from '../../src/commands/db/rollup.js';
import { PgLedger } from '../../src/store/postgres/ledger.js';
import type { PostgresStore } from '../../src/store/postgres/index.js';
import type { LedgerAggregateRow, LedgerRow } from '../../src/store/types.js';
import { DAILY_FILTERS, DAILY_KEYS, turnsLedger } from '../store/fixtures.js';
import { useMigratedDb } from './pg-helpers.js';

let url = '';
let store: PostgresStore;
useMigratedDb(8, (u, s) => {
  url = u;
  store = s;
});

const withoutCost = (rows: LedgerAggregateRow[]) => rows.map(({ costUsd, ...rest }) => rest);

/** Every grouping of the cell dimensions under every filter: the roll-up must match a scan of the ledger. */
async function expectMatchesScan(s: PostgresStore): Promise<number> {
  const scan = new PgLedger(s.db);
  let compared = 0;
  for (let mask = 0; mask < 1 << DAILY_KEYS.length; mask++) {
    const keys = DAILY_KEYS.filter((_, i) => (mask >> i) & 1);
    for (const f of DAILY_FILTERS) {
      const [daily, raw] = await Promise.all([s.aggregateCalls(keys, f), scan.scanCalls(keys, f)]);
      expect(withoutCost(daily), `${keys.join(',')} ${JSON.stringify(f)}`).toEqual(withoutCost(raw));
      daily.forEach((row, i) => expect(row.costUsd).toBeCloseTo(raw[i]!.costUsd, 9));
      compared++;
    }
  }
  return compared;
}

describe('PostgreSQL daily ledger roll-up', () => {
  it('stays exact while concurrent transactions write calls of the same turns', async () => {
    const rows = turnsLedger(240, 33);
    await store.recordCalls(rows.slice(0, 300));
    // The rest dealt round-robin to 6 writers on their own connections, so a turn's calls race each other:
    // five write two calls at a time (a lock per turn), one writes all of its calls at once (the bulk lock).
    const writers = Array.from({ length: 6 }, (_, w) => rows.slice(300).filter((_, i) => i % 6 === w));
    expect(new Set(writers[0]!.map((r) => r.turnId)).size).toBeGreaterThan(64);
    await Promise.all(writers.map(async (mine, w) => {
      const step = w === 0 ? mine.length : 2;
      for (let i = 0; i < mine.length; i += step) await store.recordCalls(mine.slice(i, i + step));
    }));
    expect((await store.aggregateCalls([]))[0]!.calls).toBe(rows.length);
    expect(rollupConsistent(await store.checkLedgerRollup())).toBe(true);
    expect(await expectMatchesScan(store)).toBe(64 * DAILY_FILTERS.length);
    // Rebuilt from the ledger in one pass, the roll-up answers exactly as the one kept write by write.
    const kept = await store.aggregateCalls(['day', 'account', 'model']);
    await store.rebuildLedgerRollup();
    expect(withoutCost(await store.aggregateCalls(['day', 'account', 'model']))).toEqual(withoutCost(kept));
  }, 120_000);

  it('is rebuilt from the ledger when migration 0005 runs on an older database', async () => {
    const before = await store.aggregateCalls(['day', 'agent']);
    expect(before.length).toBeGreaterThan(0);
    // Later migrations go down and up with it; 5 must be among them.
    expect((await store.migrateDown(4)).at(-1)).toBe(5);
    expect((await store.migrateUp())[0]).toBe(5);
    const after = await store.aggregateCalls(['day', 'agent']);
    expect(withoutCost(after)).toEqual(withoutCost(before));
    after.forEach((row, i) => expect(row.costUsd).toBeCloseTo(before[i]!.costUsd, 9));
  }, 60_000);

  it('keeps tenants to their own cells: no across-accounts table, no cells for another account', async () => {
    await store.createAccount({ id: 'acme', name: 'Acme' }).catch(() => undefined);
    const acme = store.forAccount('acme');
    expect(await acme.aggregateCalls(['agent'])).toEqual(await store.aggregateCalls(['agent'], { accountId: 'acme' }));
    const before = await store.aggregateCalls(['account']);
    const foreign: LedgerRow = { ...turnsLedger(1, 2)[0]!, accountId: 'zeta' };
    await expect(acme.recordCalls([foreign])).rejects.toThrow(/another account|row-level security|refused/);
    expect(await store.aggregateCalls(['account'])).toEqual(before);
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      await c.query('BEGIN');
      await c.query(`SELECT set_config('role', 'luna_app', true), set_config('luna.account_id', 'acme', true)`);
      await expect(c.query('SELECT * FROM ledger_daily')).rejects.toThrow(/permission denied/);
      await c.query('ROLLBACK');
    } finally {
      await c.end();
    }
  });
});
