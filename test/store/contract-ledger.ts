import { describe, expect, it } from 'vitest';
import { bucketLatency, latencyBucket } from '../../src/store/percentile.js';
import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey, LedgerRow } from '../../src/store/types.js';
import type { ContractContext } from './contract.js';
import { pick, rng } from './fixtures.js';

const KEY_OF: Record<LedgerGroupKey, (r: LedgerRow) => string | null> = {
  agent: (r) => r.agent,
  model: (r) => r.model,
  provider: (r) => r.provider,
  story: (r) => r.storyId,
  account: (r) => r.accountId,
  day: (r) => r.createdAt!.slice(0, 10),
  month: (r) => r.createdAt!.slice(0, 7),
  turn: (r) => r.turnId,
};

/** Nearest-rank percentile, reported as its latency bucket's value (≤ ~1% off): the documented definition. */
function nearestRank(values: number[], q: number): number | null {
  if (!values.length) return null;
  const s = [...values].sort((a, b) => a - b);
  return bucketLatency(latencyBucket(s[Math.max(1, Math.ceil(q * s.length)) - 1]!));
}

/** Independent reference aggregation over the rows the test generated. */
function expectedAggregate(rows: LedgerRow[], groupBy: LedgerGroupKey[]): Map<string, Omit<LedgerAggregateRow, 'keys'>> {
  const groups = new Map<string, LedgerRow[]>();
  for (const r of rows) {
    const k = JSON.stringify(groupBy.map((g) => KEY_OF[g](r)));
    groups.set(k, [...(groups.get(k) ?? []), r]);
  }
  const out = new Map<string, Omit<LedgerAggregateRow, 'keys'>>();
  for (const [k, rs] of groups) {
    // A burst billing row's latencyMs is billed instance time: never a call latency.
    const lat = rs.filter((r) => r.agent !== 'burst').map((r) => r.latencyMs);
    out.set(k, {
      calls: rs.length,
      inputTokens: rs.reduce((n, r) => n + r.inputTokens, 0),
      outputTokens: rs.reduce((n, r) => n + r.outputTokens, 0),
      cachedTokens: rs.reduce((n, r) => n + r.cachedTokens, 0),
      costUsd: rs.reduce((n, r) => n + (r.costUsd ?? 0), 0),
      unpricedCalls: rs.filter((r) => r.costUsd === null).length,
      estimatedCalls: rs.filter((r) => r.estimated).length,
      failedCalls: rs.filter((r) => r.outcome === 'failed').length,
      fallbackCalls: rs.filter((r) => r.outcome === 'fallback').length,
      turns: new Set(rs.map((r) => r.turnId).filter((t) => t !== null)).size,
      latencyP50Ms: nearestRank(lat, 0.5),
      latencyP95Ms: nearestRank(lat, 0.95),
    });
  }
  return out;
}

function generate(n: number, seed: number): LedgerRow[] {
  const r = rng(seed);
  const start = Date.parse('2026-03-30T00:00:00.000Z');
  return Array.from({ length: n }, (_, i) => {
    const priced = r() > 0.2;
    const input = Math.floor(r() * 2000);
    const output = Math.floor(r() * 500);
    const agent = pick(r, ['preprocessor', 'strategist', 'writer', 'dreamer', 'burst'] as const);
    return {
      accountId: pick(r, ['local', 'acme']),
      storyId: pick(r, ['s1', 's2', null]),
      turnId: pick(r, ['t1', 't2', 't3', 't4', null]),
      agent,
      provider: pick(r, ['local', 'openai-compatible', 'anthropic']),
      model: pick(r, ['demo', 'gpt-x', 'claude-y']),
      inputTokens: input,
      outputTokens: output,
      cachedTokens: Math.floor(r() * 100),
      estimated: r() < 0.3,
      latencyMs: agent === 'burst' ? 3_600_000 + Math.floor(r() * 60_000) : 20 + Math.floor(r() * 3000),
      ttftMs: r() < 0.5 ? null : Math.floor(r() * 200),
      outcome: pick(r, ['ok', 'ok', 'ok', 'retried', 'failed', 'fallback'] as const),
      costUsd: priced ? (input * 3 + output * 15) / 1e6 : null,
      priceInPerMTok: priced ? 3 : null,
      priceOutPerMTok: priced ? 15 : null,
      instanceId: null,
      // Spread over 4 days that cross a month boundary, each row a distinct millisecond.
      createdAt: new Date(start + Math.floor(r() * 4 * 86_400_000) + i).toISOString(),
    };
  });
}

function compare(actual: LedgerAggregateRow[], expected: Map<string, Omit<LedgerAggregateRow, 'keys'>>, groupBy: LedgerGroupKey[]): void {
  expect(actual).toHaveLength(expected.size);
  for (const row of actual) {
    expect(Object.keys(row.keys).sort()).toEqual([...groupBy].sort());
    const k = JSON.stringify(groupBy.map((g) => row.keys[g] ?? null));
    const e = expected.get(k);
    expect(e, `group ${k}`).toBeDefined();
    const { costUsd, ...rest } = row;
    const { costUsd: eCost, ...eRest } = e!;
    expect({ ...rest, keys: undefined }).toEqual({ ...eRest, keys: undefined });
    expect(costUsd).toBeCloseTo(eCost, 9);
  }
}

export function ledgerContract({ store }: ContractContext): void {
  describe('ledger', () => {
    it('round-trips every field and lists newest first with filters and limit', async () => {
      const s = store();
      const rows = generate(60, 11);
      await s.recordCalls(rows);
      const all = await s.listCalls();
      expect(all).toHaveLength(60);
      const sorted = [...rows].sort((a, b) => b.createdAt!.localeCompare(a.createdAt!));
      expect(all.map((r) => r.createdAt)).toEqual(sorted.map((r) => r.createdAt));
      const { id, ...first } = all[0]!;
      expect(id).toBeTruthy();
      expect(first).toEqual({ ...sorted[0]!, instanceId: null });
      expect(await s.listCalls({ limit: 5 })).toEqual(all.slice(0, 5));
      const writer = await s.listCalls({ agent: 'writer', storyId: 's1' });
      expect(writer.map((r) => r.createdAt)).toEqual(sorted.filter((r) => r.agent === 'writer' && r.storyId === 's1').map((r) => r.createdAt));
      const since = '2026-03-31T00:00:00.000Z';
      const until = '2026-04-02T00:00:00.000Z';
      expect((await s.listCalls({ since, until, accountId: 'acme' })).length).toBe(
        rows.filter((r) => r.createdAt! >= since && r.createdAt! < until && r.accountId === 'acme').length,
      );
    });

    it('aggregates calls, tokens, priced cost, unpriced/estimated/failed/fallback counts, turns and latency percentiles', async () => {
      const s = store();
      const rows = generate(500, 42);
      await s.recordCalls(rows.slice(0, 250));
      await s.recordCalls(rows.slice(250));
      const groupings: LedgerGroupKey[][] = [[], ['agent'], ['day', 'model'], ['month'], ['account', 'provider'], ['story'], ['turn']];
      for (const g of groupings) compare(await s.aggregateCalls(g), expectedAggregate(rows, g), g);
      const filter = { since: '2026-03-31T00:00:00.000Z', until: '2026-04-02T12:00:00.000Z', agent: 'writer' };
      const filtered = rows.filter((r) => r.createdAt! >= filter.since && r.createdAt! < filter.until && r.agent === filter.agent);
      compare(await s.aggregateCalls(['day'], filter), expectedAggregate(filtered, ['day']), ['day']);
      const byStory = rows.filter((r) => r.storyId === 's2' && r.accountId === 'local');
      compare(await s.aggregateCalls(['agent'], { storyId: 's2', accountId: 'local' }), expectedAggregate(byStory, ['agent']), ['agent']);
    });

    it('stays exact for every grouping and window, including turns whose calls span agents, accounts, days and months', async () => {
      const s = store();
      const rows = generate(400, 7);
      await s.recordCalls(rows.slice(0, 150));
      for (const r of rows.slice(150)) await s.recordCalls([r]);
      const keys: LedgerGroupKey[] = ['agent', 'provider', 'model', 'account', 'day', 'month'];
      const groupings: LedgerGroupKey[][] = [[], ...keys.map((k) => [k]), ['agent', 'model'], ['provider', 'account'], ['day', 'agent'], ['month', 'account', 'model'], ['agent', 'provider', 'model', 'account']];
      const filters: LedgerFilter[] = [
        {},
        { since: '2026-03-31T00:00:00.000Z' },
        { since: '2026-03-31T00:00:00.000Z', until: '2026-04-02T00:00:00.000Z', accountId: 'acme' },
        { since: '2026-04-01T00:00:00.000Z', agent: 'strategist' },
        { since: '2026-04-01T00:00:00.000Z', until: '2026-04-02T00:00:00.000Z' },
        { until: '2026-04-01T00:00:00.000Z', accountId: 'local', agent: 'writer' },
        { since: '2026-03-30T06:30:00.000Z', until: '2026-04-01T00:00:00.000Z' },
      ];
      const inWindow = (f: LedgerFilter) => (r: LedgerRow) => (f.since === undefined || r.createdAt! >= String(f.since))
        && (f.until === undefined || r.createdAt! < String(f.until)) && (f.accountId === undefined || r.accountId === f.accountId)
        && (f.agent === undefined || r.agent === f.agent);
      for (const f of filters) {
        for (const g of groupings) compare(await s.aggregateCalls(g, f), expectedAggregate(rows.filter(inWindow(f)), g), g);
      }
    });

    it('sees a write made between two identical reports (no stale cache)', async () => {
      const s = store();
      const [a, b] = generate(2, 9).map((r) => ({ ...r, agent: 'writer' as const, createdAt: '2026-04-01T10:00:00.000Z' }));
      await s.recordCalls([a!]);
      for (const keys of [['agent'], ['day', 'agent'], []] as LedgerGroupKey[][]) expect((await s.aggregateCalls(keys))[0]!.calls).toBe(1);
      await s.recordCalls([b!]);
      for (const keys of [['agent'], ['day', 'agent'], []] as LedgerGroupKey[][]) expect((await s.aggregateCalls(keys))[0]!.calls).toBe(2);
      expect((await s.aggregateCalls(['story', 'agent'], { agent: 'writer' })).reduce((n, r) => n + r.calls, 0)).toBe(2);
    });

    it('never counts unpriced calls as free and returns nothing for an empty ledger', async () => {
      const s = store();
      expect(await s.aggregateCalls(['agent'])).toEqual([]);
      expect(await s.aggregateCalls([])).toEqual([]);
      const base = generate(2, 5).map((r) => ({ ...r, agent: 'writer' as const }));
      await s.recordCalls([{ ...base[0]!, costUsd: null }, { ...base[1]!, costUsd: 0.5 }]);
      const [row] = await s.aggregateCalls(['agent']);
      expect(row!.costUsd).toBeCloseTo(0.5, 9);
      expect(row!.unpricedCalls).toBe(1);
      expect(row!.calls).toBe(2);
    });
  });
}
