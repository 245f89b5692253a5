import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/index.js';
import type { LedgerRow } from '../../src/store/types.js';

const open: SqliteStore[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.close()));
});

function row(i: number, over: Partial<LedgerRow> = {}): LedgerRow {
  return {
    accountId: 'local', storyId: null, turnId: `t${i % 7}`, agent: (['strategist', 'writer', 'dreamer'] as const)[i % 3]!, provider: i % 2 ? 'anthropic' : 'local',
    model: `m${i % 4}`, inputTokens: 100 + i, outputTokens: 10 + i, cachedTokens: i % 5, estimated: i % 6 === 0, latencyMs: 50 + ((i * 37) % 400), ttftMs: null,
    outcome: i % 9 === 0 ? 'failed' : 'ok', costUsd: i % 11 === 0 ? null : (i + 1) / 1e5, priceInPerMTok: 1, priceOutPerMTok: 5,
    createdAt: new Date(Date.parse('2026-11-01T00:00:00Z') + i * 3_600_000).toISOString(), ...over,
  };
}

async function twoStores() {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'luna-rollup-')), 'luna.db');
  const a = await openSqliteStore(file, { autoMigrate: true });
  const b = await openSqliteStore(file, { autoMigrate: true });
  open.push(a, b);
  return { a, b };
}

describe('SQLite ledger roll-ups (coarser groupings served from the last scan)', () => {
  it('give exactly what a fresh scan gives', async () => {
    const { a, b } = await twoStores();
    await a.recordCalls(Array.from({ length: 200 }, (_, i) => row(i)));
    const fresh = { agent: await b.aggregateCalls(['agent']), total: await b.aggregateCalls([]) };
    await a.aggregateCalls(['day', 'agent', 'provider', 'model']);
    const rolled = { agent: await a.aggregateCalls(['agent']), total: await a.aggregateCalls([]) };
    for (const k of ['agent', 'total'] as const) {
      expect(rolled[k].map((r) => ({ ...r, costUsd: +r.costUsd.toFixed(12) }))).toEqual(fresh[k].map((r) => ({ ...r, costUsd: +r.costUsd.toFixed(12) })));
    }
    expect(rolled.total[0]!.turns).toBe(7);
  });

  it('see rows written since, by this connection or another process', async () => {
    const { a, b } = await twoStores();
    await a.recordCalls([row(1), row(2)]);
    await a.aggregateCalls(['agent', 'model']);
    await a.recordCalls([row(3)]);
    expect((await a.aggregateCalls([]))[0]!.calls).toBe(3);
    await a.aggregateCalls(['agent', 'model']);
    await b.recordCalls([row(4), row(5)]);
    expect((await a.aggregateCalls([]))[0]!.calls).toBe(5);
    // A different window is never served from the cached one.
    await a.aggregateCalls(['agent', 'model']);
    expect((await a.aggregateCalls([], { since: row(4).createdAt }))[0]!.calls).toBe(2);
  });
});
