import { newId, nowIso, toIso } from '../ids.js';
import { percentilesFromHistogram } from '../percentile.js';
import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey, LedgerRow } from '../types.js';
import { writeTx, type Db } from './connection.js';
import { toLedger } from './rows.js';

type Row = Record<string, unknown>;

/** SQL for each group key. Days and months are UTC, cut from the stored ISO timestamp. */
const GROUP_SQL: Record<LedgerGroupKey, string> = {
  agent: 'agent',
  model: 'model',
  provider: 'provider',
  story: 'story_id',
  account: 'account_id',
  day: 'substr(created_at, 1, 10)',
  month: 'substr(created_at, 1, 7)',
  turn: 'turn_id',
};

/** Bulk insert without its own transaction (commitTurn writes its rows inside the turn's). */
export function insertLedgerRows(db: Db, rows: LedgerRow[]): void {
  if (rows.length === 0) return;
  const stmt = db.prepare(`INSERT INTO ledger (id, account_id, story_id, turn_id, agent, provider, model, input_tokens, output_tokens,
      cached_tokens, estimated, latency_ms, ttft_ms, outcome, cost_usd, price_in_per_mtok, price_out_per_mtok, instance_id, created_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const now = nowIso();
  for (const r of rows) {
    stmt.run(
      r.id ?? newId(), r.accountId, r.storyId, r.turnId, r.agent, r.provider, r.model,
      Math.round(r.inputTokens), Math.round(r.outputTokens), Math.round(r.cachedTokens), r.estimated ? 1 : 0,
      // Whole milliseconds: latency percentiles are computed from a (value, count) histogram.
      Math.round(r.latencyMs), r.ttftMs === null ? null : Math.round(r.ttftMs), r.outcome,
      r.costUsd, r.priceInPerMTok, r.priceOutPerMTok, r.instanceId ?? null, r.createdAt ? toIso(r.createdAt) : now,
    );
  }
}

function where(filter: LedgerFilter): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  if (filter.since !== undefined) { parts.push('created_at >= ?'); args.push(toIso(filter.since)); }
  if (filter.until !== undefined) { parts.push('created_at < ?'); args.push(toIso(filter.until)); }
  if (filter.storyId !== undefined) { parts.push('story_id = ?'); args.push(filter.storyId); }
  if (filter.accountId !== undefined) { parts.push('account_id = ?'); args.push(filter.accountId); }
  if (filter.agent !== undefined) { parts.push('agent = ?'); args.push(filter.agent); }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

export class SqliteLedger {
  constructor(private readonly db: Db) {}

  recordCalls(rows: LedgerRow[]): void {
    writeTx(this.db, () => insertLedgerRows(this.db, rows));
  }

  listCalls(filter: LedgerFilter & { limit?: number } = {}): LedgerRow[] {
    const w = where(filter);
    const limit = filter.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    return (this.db.prepare(`SELECT * FROM ledger ${w.sql} ORDER BY created_at DESC, seq DESC ${limit}`).all(...w.args) as Row[]).map(toLedger);
  }

  /**
   * Two passes over the (index-narrowed) rows: sums per group, then a (group, latency) histogram for exact
   * p50/p95. Both stay in SQLite's C code; JavaScript only sees one row per group per distinct latency.
   */
  aggregateCalls(groupBy: LedgerGroupKey[], filter: LedgerFilter = {}): LedgerAggregateRow[] {
    const w = where(filter);
    const keys = [...new Set(groupBy)];
    const cols = keys.map((k, i) => `${GROUP_SQL[k]} AS k${i}`);
    const groupSql = keys.length ? `GROUP BY ${keys.map((_, i) => `k${i}`).join(', ')}` : '';
    const order = keys.length ? `ORDER BY ${keys.map((_, i) => `k${i}`).join(', ')}` : '';
    const sums = this.db
      .prepare(`SELECT ${[...cols, ''].join(', ')}
          count(*) AS calls, total(input_tokens) AS input_tokens, total(output_tokens) AS output_tokens,
          total(cached_tokens) AS cached_tokens, total(cost_usd) AS cost_usd, sum(cost_usd IS NULL) AS unpriced,
          sum(estimated) AS estimated, sum(outcome = 'failed') AS failed, sum(outcome = 'fallback') AS fallback,
          count(DISTINCT turn_id) AS turns
        FROM ledger ${w.sql} ${groupSql} ${order}`)
      .all(...w.args) as Row[];
    const hist = this.db
      .prepare(`SELECT ${[...cols, ''].join(', ')} latency_ms AS v, count(*) AS c
        FROM ledger ${w.sql} GROUP BY ${[...keys.map((_, i) => `k${i}`), 'latency_ms'].join(', ')}`)
      .raw()
      .all(...w.args) as unknown[][];
    const byGroup = new Map<string, [number, number][]>();
    for (const r of hist) {
      const id = JSON.stringify(r.slice(0, keys.length));
      let list = byGroup.get(id);
      if (!list) byGroup.set(id, (list = []));
      list.push([Number(r[keys.length]), Number(r[keys.length + 1])]);
    }
    const out: LedgerAggregateRow[] = [];
    for (const r of sums) {
      const calls = Number(r.calls);
      if (calls === 0) continue;
      const keyValues = keys.map((_, i) => (r[`k${i}`] ?? null) as string | null);
      const [p50, p95] = percentilesFromHistogram(byGroup.get(JSON.stringify(keyValues)) ?? [], [0.5, 0.95]);
      out.push({
        keys: Object.fromEntries(keys.map((k, i) => [k, keyValues[i] ?? null])),
        calls,
        inputTokens: Number(r.input_tokens),
        outputTokens: Number(r.output_tokens),
        cachedTokens: Number(r.cached_tokens),
        costUsd: Number(r.cost_usd),
        unpricedCalls: Number(r.unpriced),
        estimatedCalls: Number(r.estimated),
        failedCalls: Number(r.failed),
        fallbackCalls: Number(r.fallback),
        turns: Number(r.turns),
        latencyP50Ms: p50 ?? null,
        latencyP95Ms: p95 ?? null,
      });
    }
    return out;
  }
}
