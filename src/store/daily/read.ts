import { toIso } from '../ids.js';
import { compareKeys } from '../ledger-keys.js';
import { latencyPercentiles } from '../percentile.js';
import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey } from '../types.js';
import { DIM, GRAIN, MASKS } from './cells.js';

const CELL_KEYS = new Set<LedgerGroupKey>(['agent', 'provider', 'model', 'account', 'day', 'month']);

const dayStart = (iso: string) => iso.endsWith('T00:00:00.000Z');
const monthStart = (iso: string) => dayStart(iso) && iso.slice(8, 10) === '01';

interface DailyPlan {
  /** Index of the turn counter that keeps the grouping's turns exact (grain x 16 + dimension mask). */
  counter: number;
  /** For a window without a time grouping: the counter holds only if every cell read shares one day/month. */
  single?: 'day' | 'month';
  /** Per-account cells are needed (grouped or filtered by account); otherwise the across-accounts ones. */
  perAccount: boolean;
  sinceDay?: string;
  untilDay?: string;
}

/**
 * Whether the roll-up can answer this query exactly, and with which turn counter. It cannot when the query
 * needs the story or turn (not cell dimensions) or a window that cuts through a day (or, for turn counts,
 * through the grain the grouping uses); those go to a ledger scan.
 */
export function planDaily(keys: LedgerGroupKey[], filter: LedgerFilter): DailyPlan | undefined {
  if (filter.storyId !== undefined || !keys.every((k) => CELL_KEYS.has(k))) return undefined;
  const since = filter.since === undefined ? undefined : toIso(filter.since);
  const until = filter.until === undefined ? undefined : toIso(filter.until);
  const bounds = [since, until].filter((b): b is string => b !== undefined);
  if (!bounds.every(dayStart)) return undefined;
  let mask = 0;
  if (keys.includes('agent') || filter.agent !== undefined) mask |= DIM.agent;
  if (keys.includes('provider')) mask |= DIM.provider;
  if (keys.includes('model')) mask |= DIM.model;
  if (keys.includes('account') || filter.accountId !== undefined) mask |= DIM.account;
  const p = {
    perAccount: (mask & DIM.account) !== 0,
    ...(since !== undefined ? { sinceDay: since.slice(0, 10) } : {}),
    ...(until !== undefined ? { untilDay: until.slice(0, 10) } : {}),
  };
  const at = (grain: number) => grain * MASKS + mask;
  if (keys.includes('day')) return { ...p, counter: at(GRAIN.day) };
  if (keys.includes('month')) return bounds.every(monthStart) ? { ...p, counter: at(GRAIN.month) } : undefined;
  if (!bounds.length) return { ...p, counter: at(GRAIN.all) };
  return bounds.every(monthStart) ? { ...p, counter: at(GRAIN.month), single: 'month' } : { ...p, counter: at(GRAIN.day), single: 'day' };
}

/** The value of each group key for a cell, from its dimensions. */
export function cellKeyValues(keys: LedgerGroupKey[], c: { day: string; account: string; agent: string; provider: string; model: string }): string[] {
  return keys.map((k) => (k === 'day' ? c.day : k === 'month' ? c.day.slice(0, 7) : k === 'account' ? c.account : c[k as 'agent' | 'provider' | 'model']));
}

interface Acc {
  keys: string[];
  /** calls, input, output, cached, cost, unpriced, estimated, failed, fallback: the cell column order. */
  sums: number[];
  latency: Map<number, number>;
  turns: number;
}

/** Cells folded into the groups of one report query. */
export class DailyGroups {
  private readonly groups = new Map<string, Acc>();
  private readonly days = new Set<string>();

  constructor(private readonly keys: LedgerGroupKey[], private readonly plan: DailyPlan) {}

  /** Starts a cell: returns its group, into whose `latency` the caller adds the cell's histogram. */
  add(vals: string[], day: string, sums: ArrayLike<number>, turns: number): Map<number, number> {
    if (this.plan.single) this.days.add(this.plan.single === 'day' ? day : day.slice(0, 7));
    const id = vals.length === 1 ? vals[0]! : vals.join('\u001f');
    let g = this.groups.get(id);
    if (!g) this.groups.set(id, (g = { keys: vals, sums: [0, 0, 0, 0, 0, 0, 0, 0, 0], latency: new Map(), turns: 0 }));
    for (let i = 0; i < 9; i++) g.sums[i]! += Number(sums[i]);
    g.turns += turns;
    return g.latency;
  }

  /** The aggregate rows, or undefined when the cells read span more than the one day/month the plan needs. */
  rows(): LedgerAggregateRow[] | undefined {
    if (this.days.size > 1) return undefined;
    const keys = this.keys;
    const out = [...this.groups.values()].map(({ keys: vals, sums, latency, turns }): LedgerAggregateRow => {
      const [p50, p95] = latencyPercentiles(latency, [0.5, 0.95]);
      const [calls, input, output, cached, cost, unpriced, estimated, failed, fallback] = sums as [number, number, number, number, number, number, number, number, number];
      return {
        keys: Object.fromEntries(keys.map((k, i) => [k, vals[i] ?? null])),
        calls, inputTokens: input, outputTokens: output, cachedTokens: cached, costUsd: cost,
        unpricedCalls: unpriced, estimatedCalls: estimated, failedCalls: failed, fallbackCalls: fallback,
        turns, latencyP50Ms: p50 ?? null, latencyP95Ms: p95 ?? null,
      };
    });
    return out.sort((a, b) => compareKeys(keys.map((k) => a.keys[k] ?? null), keys.map((k) => b.keys[k] ?? null)));
  }
}

/** The SQL condition (dialect-neutral apart from placeholders) a plan puts on cells. */
export function cellWhere(plan: DailyPlan, filter: LedgerFilter, ph: (i: number) => string): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  const add = (col: string, op: string, v: unknown) => { args.push(v); parts.push(`${col} ${op} ${ph(args.length)}`); };
  if (plan.sinceDay !== undefined) add('day', '>=', plan.sinceDay);
  if (plan.untilDay !== undefined) add('day', '<', plan.untilDay);
  if (filter.accountId !== undefined) add('account_id', '=', filter.accountId);
  if (filter.agent !== undefined) add('agent', '=', filter.agent);
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}
