import { newId, nowIso, toIso } from '../ids.js';
import { bucketLatency, LATENCY_SQL, latencyBucket } from '../percentile.js';
import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey, LedgerRow } from '../types.js';
import type { PgDb, Q, Row } from './connection.js';
import { foldIntoDailyPg, aggregateFromDailyPg } from './ledger-daily.js';
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

/**
 * Bulk insert, one statement per 5,000 rows, inside the caller's transaction. The daily roll-up is folded
 * first, in the same transaction, so it can never disagree with the ledger.
 */
export async function insertLedgerRows(q: Q, rows: LedgerRow[]): Promise<void> {
  if (rows.length === 0) return;
  const now = nowIso();
  const written = rows.map((r) => ({
    ...r,
    inputTokens: Math.round(r.inputTokens), outputTokens: Math.round(r.outputTokens), cachedTokens: Math.round(r.cachedTokens),
    latencyMs: Math.round(r.latencyMs), ttftMs: r.ttftMs === null || r.ttftMs === undefined ? null : Math.round(r.ttftMs),
    createdAt: r.createdAt ? toIso(r.createdAt) : now,
  }));
  await foldIntoDailyPg(q, written);
  for (let at = 0; at < written.length; at += 5000) {
    const cols: unknown[][] = COLS.map(() => []);
    for (const r of written.slice(at, at + 5000)) {
      const v = [
        r.id ?? newId(), r.accountId, r.storyId, r.turnId, r.agent, r.provider, r.model, r.inputTokens, r.outputTokens, r.cachedTokens,
        Boolean(r.estimated), r.latencyMs, r.ttftMs, r.outcome, r.costUsd, r.priceInPerMTok, r.priceOutPerMTok, r.instanceId ?? null, r.createdAt,
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

  /** From the daily roll-up when it can answer exactly (see src/store/daily/read.ts), else a ledger scan. */
  async aggregateCalls(groupBy: LedgerGroupKey[], filter: LedgerFilter = {}): Promise<LedgerAggregateRow[]> {
    const keys = [...new Set(groupBy)];
    const daily = await this.db.read((q) => aggregateFromDailyPg(q, keys, filter, this.db.accountId), 'aggregating calls');
    return daily ?? this.scanCalls(keys, filter);
  }

  /**
   * One grouped query over the ledger: sums, distinct turns and nearest-rank latency percentiles
   * (percentile_disc is nearest rank) all in SQL, so no per-call rows travel to JavaScript. The percentile
   * is then bucketed like every other path (store/percentile.ts): bucketing is monotonic, so the bucket of
   * the nearest-rank value is the nearest-rank bucket. Also what the roll-up is checked against in tests.
   */
  async scanCalls(keys: LedgerGroupKey[], filter: LedgerFilter = {}): Promise<LedgerAggregateRow[]> {
    const w = where(filter);
    const ksel = keys.map((k, i) => `${GROUP_SQL[k]} AS k${i}`);
    const kgrp = keys.map((_, i) => `k${i}`);
    const rows = await this.db.read((q) => q.rows(
      `SELECT ${[...ksel, ''].join(', ')} count(*) AS calls, sum(input_tokens) AS input, sum(output_tokens) AS output,
          sum(cached_tokens) AS cached, coalesce(sum(cost_usd), 0) AS cost, count(*) FILTER (WHERE cost_usd IS NULL) AS unpriced,
          count(*) FILTER (WHERE estimated) AS estimated, count(*) FILTER (WHERE outcome = 'failed') AS failed,
          count(*) FILTER (WHERE outcome = 'fallback') AS fallback, count(DISTINCT turn_id) AS turns,
          percentile_disc(0.5) WITHIN GROUP (ORDER BY ${LATENCY_SQL}) AS p50, percentile_disc(0.95) WITHIN GROUP (ORDER BY ${LATENCY_SQL}) AS p95
        FROM ledger ${w.sql} ${kgrp.length ? `GROUP BY ${kgrp.join(', ')}` : ''}`, w.args), 'aggregating calls');
    const bucketed = (v: unknown) => (v === null || v === undefined ? null : bucketLatency(latencyBucket(Number(v))));
    const out = rows
      .filter((r: Row) => Number(r.calls) > 0)
      .map((r: Row): LedgerAggregateRow => ({
        keys: Object.fromEntries(keys.map((k, i) => [k, (r[`k${i}`] ?? null) as string | null])),
        calls: Number(r.calls), inputTokens: Number(r.input), outputTokens: Number(r.output), cachedTokens: Number(r.cached),
        costUsd: Number(r.cost), unpricedCalls: Number(r.unpriced), estimatedCalls: Number(r.estimated), failedCalls: Number(r.failed),
        fallbackCalls: Number(r.fallback), turns: Number(r.turns), latencyP50Ms: bucketed(r.p50), latencyP95Ms: bucketed(r.p95),
      }));
    return out.sort((a, b) => compareKeys(keys.map((k) => a.keys[k] ?? null), keys.map((k) => b.keys[k] ?? null)));
  }
}
