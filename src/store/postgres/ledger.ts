import { newId, nowIso, toIso } from '../ids.js';
import { percentilesFromHistogram } from '../percentile.js';
import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey, LedgerRow } from '../types.js';
import type { PgDb, Q, Row } from './connection.js';
import { toLedger } from './rows.js';
import { compareKeys } from '../ledger-keys.js';

/** SQL per group key; days and months are UTC, like SQLite's cut of the ISO string. */
const GROUP_SQL: Record<LedgerGroupKey, string> = {
  agent: 'agent',
  model: 'model',
  provider: 'provider',
  story: 'story_id',
  account: 'account_id',
  day: `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')`,
  month: `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM')`,
  turn: 'turn_id',
};

const COLS = ['id', 'account_id', 'story_id', 'turn_id', 'agent', 'provider', 'model', 'input_tokens', 'output_tokens', 'cached_tokens', 'estimated',
  'latency_ms', 'ttft_ms', 'outcome', 'cost_usd', 'price_in_per_mtok', 'price_out_per_mtok', 'instance_id', 'created_at'] as const;
const TYPES = ['text', 'text', 'text', 'text', 'text', 'text', 'text', 'int', 'int', 'int', 'bool', 'int', 'int', 'text', 'float8', 'float8', 'float8', 'text', 'timestamptz'];
const INSERT_SQL = `INSERT INTO ledger (${COLS.join(', ')}) SELECT * FROM unnest(${TYPES.map((t, i) => `$${i + 1}::${t}[]`).join(', ')})`;

/** Bulk insert, one statement per 5,000 rows, inside the caller's transaction. */
export async function insertLedgerRows(q: Q, rows: LedgerRow[]): Promise<void> {
  const now = nowIso();
  for (let at = 0; at < rows.length; at += 5000) {
    const chunk = rows.slice(at, at + 5000);
    const cols: unknown[][] = COLS.map(() => []);
    for (const r of chunk) {
      const v = [
        r.id ?? newId(), r.accountId, r.storyId, r.turnId, r.agent, r.provider, r.model,
        Math.round(r.inputTokens), Math.round(r.outputTokens), Math.round(r.cachedTokens), Boolean(r.estimated),
        Math.round(r.latencyMs), r.ttftMs === null || r.ttftMs === undefined ? null : Math.round(r.ttftMs), r.outcome,
        r.costUsd, r.priceInPerMTok, r.priceOutPerMTok, r.instanceId ?? null, r.createdAt ? toIso(r.createdAt) : now,
      ];
      v.forEach((x, i) => cols[i]!.push(x));
    }
    await q.run(INSERT_SQL, cols);
  }
}

function where(filter: LedgerFilter): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, v: unknown) => { args.push(v); parts.push(sql.replace('?', `$${args.length}`)); };
  if (filter.since !== undefined) add('created_at >= ?', toIso(filter.since));
  if (filter.until !== undefined) add('created_at < ?', toIso(filter.until));
  if (filter.storyId !== undefined) add('story_id = ?', filter.storyId);
  if (filter.accountId !== undefined) add('account_id = ?', filter.accountId);
  if (filter.agent !== undefined) add('agent = ?', filter.agent);
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

const keyOf = (vals: unknown[]) => JSON.stringify(vals.map((v) => (v === undefined ? null : v)));

export class PgLedger {
  constructor(private readonly db: PgDb) {}

  recordCalls(rows: LedgerRow[]): Promise<void> {
    if (rows.length === 0) return Promise.resolve();
    return this.db.tx((q) => insertLedgerRows(q, rows), 'recording calls');
  }

  async listCalls(filter: LedgerFilter & { limit?: number } = {}): Promise<LedgerRow[]> {
    const w = where(filter);
    const limit = filter.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    return (await this.db.read((q) => q.rows(`SELECT * FROM ledger ${w.sql} ORDER BY created_at DESC, seq DESC ${limit}`, w.args))).map(toLedger);
  }

  /**
   * Sums and distinct turns grouped in SQL; latency percentiles from a (group, latency) histogram folded
   * with the same nearest-rank code SQLite uses, so both stores report identical figures.
   */
  async aggregateCalls(groupBy: LedgerGroupKey[], filter: LedgerFilter = {}): Promise<LedgerAggregateRow[]> {
    const keys = [...new Set(groupBy)];
    const w = where(filter);
    const ksel = keys.map((k, i) => `${GROUP_SQL[k]} AS k${i}`);
    const kgrp = keys.map((_, i) => `k${i}`);
    const [sums, hist] = await this.db.read(async (q) => Promise.all([
      q.rows(`SELECT ${[...ksel, ''].join(', ')} count(*) AS calls, sum(input_tokens) AS input, sum(output_tokens) AS output,
                sum(cached_tokens) AS cached, coalesce(sum(cost_usd), 0) AS cost, count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced,
                count(*) FILTER (WHERE estimated) AS estimated, count(*) FILTER (WHERE outcome = 'failed') AS failed,
                count(*) FILTER (WHERE outcome = 'fallback') AS fallback, count(DISTINCT turn_id) AS turns
              FROM ledger ${w.sql} ${kgrp.length ? `GROUP BY ${kgrp.join(', ')}` : ''}`, w.args),
      q.rows(`SELECT ${[...ksel, ''].join(', ')} latency_ms, count(*) AS n FROM ledger ${w.sql} GROUP BY ${[...kgrp, 'latency_ms'].join(', ')}`, w.args),
    ]), 'aggregating calls');
    const histograms = new Map<string, [number, number][]>();
    for (const r of hist) {
      const k = keyOf(keys.map((_, i) => r[`k${i}`]));
      const h = histograms.get(k) ?? [];
      h.push([Number(r.latency_ms), Number(r.n)]);
      histograms.set(k, h);
    }
    const out = sums
      .filter((r: Row) => Number(r.calls) > 0)
      .map((r: Row): LedgerAggregateRow => {
        const vals = keys.map((_, i) => (r[`k${i}`] ?? null) as string | null);
        const [p50, p95] = percentilesFromHistogram(histograms.get(keyOf(vals)) ?? [], [0.5, 0.95]);
        return {
          keys: Object.fromEntries(keys.map((k, i) => [k, vals[i] ?? null])),
          calls: Number(r.calls), inputTokens: Number(r.input), outputTokens: Number(r.output), cachedTokens: Number(r.cached),
          costUsd: Number(r.cost), unpricedCalls: Number(r.unpriced), estimatedCalls: Number(r.estimated), failedCalls: Number(r.failed),
          fallbackCalls: Number(r.fallback), turns: Number(r.turns), latencyP50Ms: p50 ?? null, latencyP95Ms: p95 ?? null,
        };
      });
    return out.sort((a, b) => compareKeys(keys.map((k) => a.keys[k] ?? null), keys.map((k) => b.keys[k] ?? null)));
  }
}

