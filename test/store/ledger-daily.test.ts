import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { bucketLatency, latencyBucket } from '../../src/store/percentile.js';
import { openSqliteDb } from '../../src/store/sqlite/connection.js';
import { aggregateFromDaily } from '../../src/store/sqlite/ledger-daily-read.js';
import { SqliteLedger } from '../../src/store/sqlite/ledger.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey, LedgerRow } from '../../src/store/types.js';
import { DAILY_FILTERS as FILTERS, DAILY_KEYS as KEYS, turnsLedger } from './fixtures.js';

const root = mkdtempSync(path.join(tmpdir(), 'luna-daily-'));
let n = 0;
const freshFile = () => path.join(root, `db-${n++}`, 'luna.db');
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every subset of the cell dimensions, under every filter: the roll-up must match a scan of the ledger. */
function expectMatchesScan(file: string): number {
  const db = openSqliteDb(file);
  const ledger = new SqliteLedger(db);
  let answered = 0;
  for (let mask = 0; mask < 1 << KEYS.length; mask++) {
    const keys = KEYS.filter((_, i) => (mask >> i) & 1);
    for (const f of FILTERS) {
      const daily = aggregateFromDaily(db, keys, f);
      if (!daily) continue;
      answered++;
      const scan = ledger.scanCalls(keys, f);
      expect(daily.map(({ costUsd, ...rest }) => rest), `${keys.join(',')} ${JSON.stringify(f)}`).toEqual(scan.map(({ costUsd, ...rest }) => rest));
      daily.forEach((row, i) => expect(row.costUsd).toBeCloseTo(scan[i]!.costUsd, 9));
    }
  }
  db.close();
  return answered;
}

describe('SQLite daily ledger roll-up', () => {
  it('answers every grouping of cell dimensions exactly as a ledger scan does, written in batches of any size', async () => {
    const file = freshFile();
    const store = await openSqliteStore(file, { autoMigrate: true });
    const rows = turnsLedger(300, 21);
    await store.recordCalls(rows.slice(0, 500));
    for (let i = 500; i < rows.length; i += 3) await store.recordCalls(rows.slice(i, i + 3));
    await store.close();
    // 64 groupings x 6 filters; a window with no time grouping that spans days is left to the scan.
    expect(expectMatchesScan(file)).toBeGreaterThan(300);
  });

  it('is rebuilt from the existing ledger when migration 0005 runs on an older database', async () => {
    const file = freshFile();
    const store = await openSqliteStore(file, { autoMigrate: true });
    await store.recordCalls(turnsLedger(200, 5));
    const withoutCost = (rows: LedgerAggregateRow[]) => rows.map(({ costUsd, ...rest }) => rest);
    const before = await store.aggregateCalls(['day', 'agent']);
    expect((await store.migrateDown(4)).at(-1)).toBe(5);
    expect((await store.migrateUp())[0]).toBe(5);
    const after = await store.aggregateCalls(['day', 'agent']);
    expect(withoutCost(after)).toEqual(withoutCost(before));
    after.forEach((row, i) => expect(row.costUsd).toBeCloseTo(before[i]!.costUsd, 9));
    await store.close();
    expect(expectMatchesScan(file)).toBeGreaterThan(300);
  });

  it('leaves the roll-up untouched when the write it belongs to fails', async () => {
    const file = freshFile();
    const store = await openSqliteStore(file, { autoMigrate: true });
    const rows = turnsLedger(20, 9);
    await store.recordCalls(rows);
    const before = await store.aggregateCalls(['agent']);
    const bad = { ...rows[0]!, agent: null } as unknown as LedgerRow;
    await expect(store.recordCalls([rows[1]!, bad])).rejects.toThrow();
    expect(await store.aggregateCalls(['agent'])).toEqual(before);
    await store.close();
  });

  it('answers report-shaped queries from the roll-up and leaves story, turn and part-day windows to the scan', async () => {
    const store = await openSqliteStore(':memory:', { autoMigrate: true });
    const db = store.db;
    expect(aggregateFromDaily(db, ['day', 'agent'], {})).toEqual([]);
    expect(aggregateFromDaily(db, [], { accountId: 'a', since: '2026-11-01T00:00:00.000Z' })).toEqual([]);
    expect(aggregateFromDaily(db, ['month'], { since: '2026-11-01T00:00:00.000Z', until: '2026-12-01T00:00:00.000Z' })).toEqual([]);
    expect(aggregateFromDaily(db, ['story'], {})).toBeUndefined();
    expect(aggregateFromDaily(db, ['turn', 'agent'], {})).toBeUndefined();
    expect(aggregateFromDaily(db, ['agent'], { storyId: 's1' })).toBeUndefined();
    expect(aggregateFromDaily(db, ['day'], { since: '2026-11-01T12:00:00.000Z' })).toBeUndefined();
    expect(aggregateFromDaily(db, ['month'], { since: '2026-11-02T00:00:00.000Z' })).toBeUndefined();
    await store.close();
  });
});

describe('latency buckets', () => {
  it('keep values under 256 ms exact, stay within ~1% above, and never reorder latencies', () => {
    for (let ms = 0; ms < 256; ms++) expect(bucketLatency(latencyBucket(ms))).toBe(ms);
    let worst = 0;
    let last = -1;
    for (let ms = 256; ms < 2_000_000; ms += ms < 20_000 ? 1 : 97) {
      const b = latencyBucket(ms);
      expect(b).toBeGreaterThanOrEqual(last);
      last = b;
      worst = Math.max(worst, Math.abs(bucketLatency(b) - ms) / ms);
    }
    expect(worst).toBeLessThan(0.012);
    expect(latencyBucket(600_000)).toBeLessThan(700);
  });
});
