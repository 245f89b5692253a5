import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey, LedgerRollupCheck, LedgerRow } from '../contract/ledger.js';
import type { LedgerStore } from '../contract/roles.js';
import type { DailyInput } from '../daily/cells.js';
import { newId, nowIso, toIso } from '../ids.js';
import type { SqlContext } from './context.js';
import type { SqlDialect } from './dialect.js';
import type { Columns, Executor } from './executor.js';

const COLS: Columns = [['id', 'text'], ['account_id', 'text'], ['story_id', 'text'], ['turn_id', 'text'], ['agent', 'text'], ['provider', 'text'],
  ['model', 'text'], ['input_tokens', 'int'], ['output_tokens', 'int'], ['cached_tokens', 'int'], ['estimated', 'bool'], ['latency_ms', 'int'],
  ['ttft_ms', 'int'], ['outcome', 'text'], ['cost_usd', 'float8'], ['price_in_per_mtok', 'float8'], ['price_out_per_mtok', 'float8'],
  ['instance_id', 'text'], ['created_at', 'timestamptz']];

/**
 * Bulk insert inside the caller's transaction (commitTurn writes its rows inside the turn's). The daily
 * roll-up is folded first, in the same transaction, so it can never disagree with the ledger.
 */
export async function insertLedgerRows(c: SqlContext, q: Executor, rows: LedgerRow[]): Promise<void> {
  if (rows.length === 0) return;
  const now = nowIso();
  const written = rows.map((r): DailyInput & LedgerRow => ({
    ...r,
    inputTokens: Math.round(r.inputTokens), outputTokens: Math.round(r.outputTokens), cachedTokens: Math.round(r.cachedTokens),
    // Whole milliseconds: latency percentiles come from bucketed histograms (store/percentile.ts).
    latencyMs: Math.round(r.latencyMs), ttftMs: r.ttftMs === null || r.ttftMs === undefined ? null : Math.round(r.ttftMs),
    createdAt: r.createdAt ? toIso(r.createdAt) : now,
  }));
  await c.d.foldIntoDaily(q, written);
  await q.insertMany('ledger', COLS, written.map((r) => [
    r.id ?? newId(), r.accountId, r.storyId, r.turnId, r.agent, r.provider, r.model, r.inputTokens, r.outputTokens, r.cachedTokens,
    Boolean(r.estimated), r.latencyMs, r.ttftMs, r.outcome, r.costUsd, r.priceInPerMTok, r.priceOutPerMTok, r.instanceId ?? null, r.createdAt,
  ]));
}

/** SQL per group key; days and months are UTC. */
export function groupSql(d: Pick<SqlDialect, 'day' | 'month'>): Record<LedgerGroupKey, string> {
  return { agent: 'agent', model: 'model', provider: 'provider', story: 'story_id', account: 'account_id', day: d.day('created_at'), month: d.month('created_at'), turn: 'turn_id' };
}

export function ledgerWhere(filter: LedgerFilter): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  const add = (sql: string, v: unknown) => { parts.push(sql); args.push(v); };
  if (filter.since !== undefined) add('created_at >= ?', toIso(filter.since));
  if (filter.until !== undefined) add('created_at < ?', toIso(filter.until));
  if (filter.storyId !== undefined) add('story_id = ?', filter.storyId);
  if (filter.accountId !== undefined) add('account_id = ?', filter.accountId);
  if (filter.agent !== undefined) add('agent = ?', filter.agent);
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

/** The cost ledger. Aggregation is each driver's own fast path (a JavaScript hash aggregate in SQLite, GROUP BY in PostgreSQL). */
export abstract class SqlLedger implements LedgerStore {
  constructor(protected readonly c: SqlContext) {}

  abstract aggregateCalls(groupBy: LedgerGroupKey[], filter?: LedgerFilter): Promise<LedgerAggregateRow[]>;

  async recordCalls(rows: LedgerRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.c.db.transaction((q) => insertLedgerRows(this.c, q, rows), 'recording calls');
  }

  async listCalls(filter: LedgerFilter & { limit?: number } = {}): Promise<LedgerRow[]> {
    const w = ledgerWhere(filter);
    const limit = filter.limit !== undefined ? `LIMIT ${Math.max(0, Math.floor(filter.limit))}` : '';
    return (await this.c.db.all(`SELECT * FROM ledger ${w.sql} ORDER BY created_at DESC, seq DESC ${limit}`, w.args)).map(this.c.rows.toLedger);
  }

  async checkLedgerRollup(): Promise<LedgerRollupCheck> {
    const r = await this.c.db.get(`SELECT (SELECT count(*) FROM ledger) AS l, (SELECT coalesce(sum(calls), 0) FROM ledger_daily_account) AS a,
      (SELECT coalesce(sum(calls), 0) FROM ledger_daily) AS g, (SELECT coalesce(sum(cost_usd), 0) FROM ledger) AS lc,
      (SELECT coalesce(sum(cost_usd), 0) FROM ledger_daily_account) AS ac, (SELECT coalesce(sum(cost_usd), 0) FROM ledger_daily) AS gc`);
    const n = (k: string) => Number(r?.[k] ?? 0);
    return { ledgerCalls: n('l'), perAccountCalls: n('a'), acrossAccountsCalls: n('g'), costUsd: { ledger: n('lc'), perAccount: n('ac'), acrossAccounts: n('gc') } };
  }

  rebuildLedgerRollup(): Promise<void> {
    return this.c.db.transaction((q) => this.c.d.rebuildDaily(q), 'rebuilding the ledger roll-up');
  }
}
