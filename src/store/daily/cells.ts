import { addHistogram, addSums, zeroSums, type CallSums } from '../call-sums.js';
import { latencyBucket } from '../percentile.js';
import type { LedgerRow } from '../types.js';

/**
 * The daily ledger roll-up both stores keep current inside every ledger write, at two grains: ledger_daily
 * has one cell per (UTC day, agent, provider, model) for reports across accounts, and ledger_daily_account
 * one per (day, account, agent, provider, model) for per-account reports and budgets (an operator with
 * thousands of accounts must not read every account's cells for a global report). This module is the
 * store-independent part: what a cell holds and how calls fold into it. A cell holds exact sums, a bucketed
 * latency histogram (see percentile.ts) and turn counters, so a report over a million calls reads tens of
 * thousands of cells instead of every row.
 *
 * Distinct turns do not add up across cells (one turn calls several agents, and its Dreamer calls may land
 * the next day), so each cell keeps 48 counters: for each time grain (day, month, all time) and each subset
 * of {agent, provider, model, account}, how many turns were first seen in this cell among the turn's calls
 * that agree on that grain and subset. Summing one counter over the cells of any grouping that keeps exactly
 * those dimensions apart counts every turn once per group: exact, whatever the grouping.
 */

export const DIM = { agent: 1, provider: 2, model: 4, account: 8 } as const;
export const GRAIN = { day: 0, month: 1, all: 2 } as const;
export const MASKS = 16;
export const COUNTERS = 3 * MASKS;

/** SUBSETS[eq]: bit set of the masks m ⊆ eq, i.e. the counters an earlier call agreeing on `eq` already covers. */
const SUBSETS = Array.from({ length: MASKS }, (_, eq) => {
  let bits = 0;
  for (let m = 0; m < MASKS; m++) if ((m & ~eq) === 0) bits |= 1 << m;
  return bits;
});

/** A ledger row as written: rounded, with its ISO timestamp. */
export type DailyInput = Pick<LedgerRow, 'accountId' | 'turnId' | 'agent' | 'provider' | 'model' | 'inputTokens' | 'outputTokens'
  | 'cachedTokens' | 'estimated' | 'latencyMs' | 'outcome' | 'costUsd'> & { createdAt: string };

export interface Dims {
  day: string;
  accountId: string;
  agent: string;
  provider: string;
  model: string;
}

export interface Cell extends Dims, CallSums {
  latency: Map<number, number>;
  turns: Uint32Array;
}

export const newCell = (d: Dims): Cell => ({
  day: d.day, accountId: d.accountId, agent: d.agent, provider: d.provider, model: d.model,
  ...zeroSums(), latency: new Map(), turns: new Uint32Array(COUNTERS),
});

const dimsOf = (r: DailyInput): Dims => ({ day: r.createdAt.slice(0, 10), accountId: r.accountId, agent: r.agent, provider: r.provider, model: r.model });
const cellKey = (d: Dims) => `${d.day}\u001f${d.accountId}\u001f${d.agent}\u001f${d.provider}\u001f${d.model}`;

/** Folds one call into its cell in `cells` (creating it); `prior` as for addCall. */
export function foldCall(cells: Map<string, Cell>, r: DailyInput, prior: Dims[] | null): void {
  const d = dimsOf(r);
  const key = cellKey(d);
  let cell = cells.get(key);
  if (!cell) cells.set(key, (cell = newCell(d)));
  addCall(cell, r, d, prior);
}

/** Adds one call to a cell; `prior` holds the turn's calls seen before it (null for calls outside a turn). */
function addCall(cell: Cell, r: DailyInput, d: Dims, prior: Dims[] | null): void {
  cell.calls++;
  cell.input += r.inputTokens;
  cell.output += r.outputTokens;
  cell.cached += r.cachedTokens;
  if (r.costUsd === null) cell.unpriced++;
  else cell.cost += r.costUsd;
  if (r.estimated) cell.estimated++;
  if (r.outcome === 'failed') cell.failed++;
  if (r.outcome === 'fallback') cell.fallback++;
  if (r.agent !== 'burst') {
    // A burst billing row's latencyMs is the instance time it bills (burst/billing.ts), not a call's latency.
    const b = latencyBucket(r.latencyMs);
    cell.latency.set(b, (cell.latency.get(b) ?? 0) + 1);
  }
  if (!prior) return;
  let day = 0;
  let month = 0;
  let all = 0;
  for (const p of prior) {
    const eq = (p.agent === d.agent ? 1 : 0) | (p.provider === d.provider ? 2 : 0) | (p.model === d.model ? 4 : 0) | (p.accountId === d.accountId ? 8 : 0);
    const covered = SUBSETS[eq]!;
    all |= covered;
    if (p.day.slice(0, 7) === d.day.slice(0, 7)) {
      month |= covered;
      if (p.day === d.day) day |= covered;
    }
  }
  for (let m = 0; m < MASKS; m++) {
    if (!((day >> m) & 1)) cell.turns[GRAIN.day * MASKS + m]!++;
    if (!((month >> m) & 1)) cell.turns[GRAIN.month * MASKS + m]!++;
    if (!((all >> m) & 1)) cell.turns[GRAIN.all * MASKS + m]!++;
  }
  prior.push(d);
}


/** The same calls' cells with accounts merged: sums, histograms and counters all add (see the header). */
export function acrossAccounts(cells: Iterable<Cell>): Cell[] {
  const out = new Map<string, Cell>();
  for (const c of cells) {
    const d = { ...c, accountId: '' };
    const key = cellKey(d);
    let into = out.get(key);
    if (!into) out.set(key, (into = newCell(d)));
    mergeInto(into, c);
  }
  return [...out.values()];
}

export function mergeInto(into: Cell, from: Cell): void {
  addSums(into, from);
  addHistogram(into.latency, from.latency);
  for (let i = 0; i < COUNTERS; i++) into.turns[i]! += from.turns[i]!;
}
