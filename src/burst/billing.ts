import { DEFAULT_ACCOUNT_ID, type BurstInstance, type LedgerRow, type Store } from '../store/types.js';

export type BurstStore = Pick<Store, 'saveBurstInstance' | 'getBurstInstance' | 'listBurstInstances' | 'recordCalls' | 'aggregateCalls'>;

/** Instance states that the provider is (or may be) billing for. */
export const BILLABLE: readonly BurstInstance['state'][] = ['launching', 'starting', 'ready', 'draining', 'terminating'];

export function monthStart(now: number): string {
  const d = new Date(now);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1)).toISOString();
}

export function unbilledUsd(inst: BurstInstance, now: number): number {
  if (!BILLABLE.includes(inst.state)) return 0;
  const from = Date.parse(inst.billedUntil ?? inst.launchedAt);
  return now > from ? (inst.pricePerHour * (now - from)) / 3_600_000 : 0;
}

/**
 * Writes the instance's spend since billedUntil as one ledger row (agent `burst`, tokens 0, the billed
 * span in latencyMs) and moves billedUntil. `minSpanMs` keeps frequent reconciles from writing a row each.
 */
export async function billInstance(store: BurstStore, inst: BurstInstance, until: number, minSpanMs = 0): Promise<number> {
  const from = Date.parse(inst.billedUntil ?? inst.launchedAt);
  const span = until - from;
  if (span <= 0 || span < minSpanMs) return 0;
  const cost = (inst.pricePerHour * span) / 3_600_000;
  const row: LedgerRow = {
    accountId: DEFAULT_ACCOUNT_ID,
    storyId: null,
    turnId: null,
    agent: 'burst',
    provider: inst.provider,
    model: inst.gpuType,
    inputTokens: 0,
    outputTokens: 0,
    cachedTokens: 0,
    estimated: false,
    latencyMs: span,
    ttftMs: null,
    outcome: 'ok',
    costUsd: cost,
    priceInPerMTok: null,
    priceOutPerMTok: null,
    instanceId: inst.id,
  };
  await store.recordCalls([row]);
  inst.billedUntil = new Date(until).toISOString();
  await store.saveBurstInstance(inst);
  return cost;
}

/** Ledgered burst spend this calendar month (UTC) plus what active instances have run up since last billed. */
export async function monthSpend(store: BurstStore, instances: BurstInstance[], now: number): Promise<number> {
  const rows = await store.aggregateCalls(['agent'], { agent: 'burst', since: monthStart(now) });
  const ledgered = rows.reduce((s, r) => s + r.costUsd, 0);
  return ledgered + instances.reduce((s, i) => s + unbilledUsd(i, now), 0);
}
