import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey } from '../contract/ledger.js';
import { compareKeys } from '../ledger-keys.js';
import { bucketLatency, LATENCY_SQL, latencyBucket } from '../percentile.js';
import { sqlContext } from '../sql/context.js';
import type { Row } from '../sql/executor.js';
import { groupSql, ledgerWhere, SqlLedger } from '../sql/ledger.js';
import type { PgDb } from './connection.js';
import { pgDialect } from './dialect.js';
import { aggregateFromDailyPg } from './ledger-daily.js';

const GROUP_SQL = groupSql(pgDialect);

/** The ledger role with PostgreSQL's aggregation: the daily roll-up when it answers exactly, else one grouped scan. */
export class PgLedger extends SqlLedger {
  constructor(db: PgDb) {
    super(sqlContext(db, pgDialect));
  }

  /** From the daily roll-up when it can answer exactly (see src/store/daily/read.ts), else a ledger scan. */
  override async aggregateCalls(groupBy: LedgerGroupKey[], filter: LedgerFilter = {}): Promise<LedgerAggregateRow[]> {
    const keys = [...new Set(groupBy)];
    const daily = await this.c.db.read((q) => aggregateFromDailyPg(q, keys, filter, this.c.db.scope), 'aggregating calls');
    return daily ?? this.scanCalls(keys, filter);
  }

  /**
   * One grouped query over the ledger: sums, distinct turns and nearest-rank latency percentiles
   * (percentile_disc is nearest rank) all in SQL, so no per-call rows travel to JavaScript. The percentile
   * is then bucketed like every other path (store/percentile.ts): bucketing is monotonic, so the bucket of
   * the nearest-rank value is the nearest-rank bucket. Also what the roll-up is checked against in tests.
   */
  async scanCalls(keys: LedgerGroupKey[], filter: LedgerFilter = {}): Promise<LedgerAggregateRow[]> {
    const w = ledgerWhere(filter);
    const ksel = keys.map((k, i) => `${GROUP_SQL[k]} AS k${i}`);
    const kgrp = keys.map((_, i) => `k${i}`);
    const rows = await this.c.db.read((q) => q.all(
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
