import { cellKeyValues, cellWhere, DailyGroups, planDaily } from '../daily/read.js';
import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey } from '../types.js';
import type { Db } from './connection.js';

/** Reads cells (raw rows) for a query; SqliteLedger memoises it so one report's groupings read them once. */
export type CellReader = (sql: string, args: unknown[]) => unknown[][];

const readNow = (db: Db): CellReader => (sql, args) => db.prepare(sql).raw().all(...args) as unknown[][];

/** Aggregates from SQLite's daily roll-up, or undefined when only a ledger scan can answer exactly. */
export function aggregateFromDaily(db: Db, keys: LedgerGroupKey[], filter: LedgerFilter, read: CellReader = readNow(db)): LedgerAggregateRow[] | undefined {
  const plan = planDaily(keys, filter);
  if (!plan) return undefined;
  const w = cellWhere(plan, filter, () => '?');
  // Across accounts, the merged cells: far fewer rows to read when there are many accounts.
  const rows = read(`SELECT day, ${plan.perAccount ? 'account_id' : `'' AS account_id`}, agent, provider, model, calls, input_tokens,
      output_tokens, cached_tokens, cost_usd, unpriced, estimated, failed, fallback, latency, turns
      FROM ${plan.perAccount ? 'ledger_daily_account' : 'ledger_daily'} ${w.sql}`, w.args);
  const counterAt = plan.counter * 4;
  const groups = new DailyGroups(keys, plan);
  for (const r of rows) {
    const day = r[0] as string;
    const vals = cellKeyValues(keys, { day, account: r[1] as string, agent: r[2] as string, provider: r[3] as string, model: r[4] as string });
    const hist = groups.add(vals, day, r.slice(5, 14) as number[], (r[15] as Buffer).readUInt32LE(counterAt));
    const lat = r[14] as Buffer;
    for (let o = 0; o < lat.length; o += 8) {
      const b = lat.readUInt32LE(o);
      hist.set(b, (hist.get(b) ?? 0) + lat.readUInt32LE(o + 4));
    }
  }
  return groups.rows();
}
