import type { LunaConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { LedgerAggregateRow, LedgerFilter, LedgerGroupKey, Store } from '../store/types.js';
import { createClassifier, SPEND_CLASSES, type SpendClass } from './classify.js';

export const REPORT_KEYS: readonly LedgerGroupKey[] = ['agent', 'model', 'provider', 'story', 'account', 'day', 'month'];

/** One line of the report: a group's sums plus the rates derived from them. */
export interface ReportRow {
  keys: Record<string, string | null>;
  calls: number;
  turns: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** Priced calls only; unpricedCalls says how many calls this figure leaves out. */
  costUsd: number;
  /** Share of the report's total cost, 0..1 (null when the total is 0). */
  share: number | null;
  /** costUsd / distinct turns (null for groups without turns, e.g. burst instance-hours). */
  costPerTurnUsd: number | null;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
  failureRate: number;
  fallbackRate: number;
  unpricedCalls: number;
  estimatedCalls: number;
}

export interface SpendSplit {
  costUsd: number;
  calls: number;
  unpricedCalls: number;
  estimatedCalls: number;
}

export interface CostReport {
  filter: LedgerFilter;
  groupBy: LedgerGroupKey[];
  rows: ReportRow[];
  total: ReportRow;
  /** Cloud, self-hosted and burst spend apart; `all` is their sum. */
  spend: Record<SpendClass, SpendSplit> & { all: SpendSplit };
}

export function parseGroupBy(text: string | undefined): LedgerGroupKey[] {
  if (!text) return [];
  const keys = text.split(',').map((k) => k.trim().toLowerCase()).filter(Boolean);
  for (const k of keys) {
    if (!(REPORT_KEYS as readonly string[]).includes(k) && k !== 'turn') {
      throw new UsageError(`--by ${k}: unknown grouping`, { hint: `group by any of ${[...REPORT_KEYS, 'turn'].join(', ')} (several: --by day,agent)` });
    }
  }
  return [...new Set(keys)] as LedgerGroupKey[];
}

export function toReportRow(r: LedgerAggregateRow, totalCost: number): ReportRow {
  return {
    keys: r.keys,
    calls: r.calls,
    turns: r.turns,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    cachedTokens: r.cachedTokens,
    costUsd: roundUsd(r.costUsd),
    share: totalCost > 0 ? r.costUsd / totalCost : null,
    costPerTurnUsd: r.turns > 0 ? roundUsd(r.costUsd / r.turns) : null,
    latencyP50Ms: r.latencyP50Ms,
    latencyP95Ms: r.latencyP95Ms,
    failureRate: r.calls ? r.failedCalls / r.calls : 0,
    fallbackRate: r.calls ? r.fallbackCalls / r.calls : 0,
    unpricedCalls: r.unpricedCalls,
    estimatedCalls: r.estimatedCalls,
  };
}

const EMPTY: LedgerAggregateRow = {
  keys: {}, calls: 0, inputTokens: 0, outputTokens: 0, cachedTokens: 0, costUsd: 0, unpricedCalls: 0, estimatedCalls: 0,
  failedCalls: 0, fallbackCalls: 0, turns: 0, latencyP50Ms: null, latencyP95Ms: null,
};

/**
 * Builds the report from the store's aggregates: the requested grouping, the exact total (its own
 * aggregate: distinct turns and percentiles do not add up across groups) and the cloud/self-hosted/burst
 * split (by provider and model, classified against the config). The finest grouping is asked for first so
 * a store can answer the coarser ones from the same scan (the SQLite store does; see ledger-rollup.ts).
 */
export async function buildReport(store: Store, config: LunaConfig, groupBy: LedgerGroupKey[], filter: LedgerFilter): Promise<CostReport> {
  // Provider and model classify a row (burst billing rows carry the GPU cloud as provider); fewer keys, faster scan.
  const splitKeys: LedgerGroupKey[] = ['provider', 'model'];
  // Finest grouping first: a store may serve the coarser ones (the grouping, the total) from that scan.
  const fineKeys = [...groupBy, ...splitKeys.filter((k) => !groupBy.includes(k))];
  const splitRows = await store.aggregateCalls(fineKeys, filter);
  const grouped = !groupBy.length ? null : fineKeys.length === groupBy.length ? splitRows : await store.aggregateCalls(groupBy, filter);
  const totalRows = await store.aggregateCalls([], filter);
  const totalAgg = totalRows[0] ?? EMPTY;
  const total = toReportRow({ ...totalAgg, keys: {} }, totalAgg.costUsd);
  const rows = (grouped ?? []).map((r) => toReportRow(r, totalAgg.costUsd));
  const classify = createClassifier(config);
  const spend = emptySpend();
  for (const r of splitRows) {
    const cls = classify({ agent: r.keys.agent, provider: r.keys.provider, model: r.keys.model });
    for (const s of [spend[cls], spend.all]) {
      s.costUsd += r.costUsd;
      s.calls += r.calls;
      s.unpricedCalls += r.unpricedCalls;
      s.estimatedCalls += r.estimatedCalls;
    }
  }
  for (const k of [...SPEND_CLASSES, 'all'] as const) spend[k].costUsd = roundUsd(spend[k].costUsd);
  return { filter, groupBy, rows, total, spend };
}

function emptySpend(): CostReport['spend'] {
  const z = (): SpendSplit => ({ costUsd: 0, calls: 0, unpricedCalls: 0, estimatedCalls: 0 });
  return { cloud: z(), 'self-hosted': z(), burst: z(), all: z() };
}

/** Twelve decimals, like the ledger: float noise from summing goes, sub-micro-dollar calls stay. */
export function roundUsd(v: number): number {
  return Math.round(v * 1e12) / 1e12;
}
