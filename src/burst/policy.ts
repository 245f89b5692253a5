import type { BurstConfig } from '../config/schema.js';
import type { BurstState } from '../store/types.js';

/**
 * The autoscaling policy as a pure function: (config, instances, memory, signals, now) → decisions.
 * No I/O and no clock of its own, so every rule is testable without time passing.
 */
export type PolicyConfig = Pick<
  BurstConfig,
  'minInstances' | 'maxInstances' | 'scaleUpQueueDepth' | 'scaleUpWindowMs' | 'idleTtlMs' | 'maxLifetimeMs' | 'cooldownMs' | 'maxHourlySpend' | 'monthlyBudgetUsd' | 'readyTimeoutMs'
>;

export interface PolicyInstance {
  id: string;
  state: BurstState;
  pricePerHour: number;
  launchedAt: number;
  readyAt: number | null;
  lastActiveAt: number | null;
}

/** What the autoscaler remembers between steps (persisted so `watch --once` runs add up). */
export interface PolicyMemory {
  /** When the queue first went above the threshold in the current streak; null when it is not above. */
  highSince: number | null;
  lastScaleUpAt: number | null;
  lastScaleDownAt: number | null;
}

export interface PolicySignals {
  /** Sum of `luna_shard_requests_waiting`; null when the metrics endpoint could not be read. */
  waiting: number | null;
  /** Burst spend this calendar month (ledger rows plus unbilled time). */
  monthSpentUsd: number;
  /** Price of the offer a launch would take now; null when none fits. */
  nextPricePerHour: number | null;
  /** Serving instances the provider just took away (spot interruption, crash), replaced without waiting. */
  lost?: number;
}

export type Decision =
  | { action: 'launch'; count: number; reason: string }
  | { action: 'terminate'; id: string; reason: string }
  | { action: 'refuse'; reason: string; budget: 'hourly' | 'monthly' | 'offer' }
  | { action: 'hold'; reason: string };

export const EMPTY_MEMORY: PolicyMemory = { highSince: null, lastScaleUpAt: null, lastScaleDownAt: null };

const ACTIVE: readonly BurstState[] = ['launching', 'starting', 'ready'];
const PENDING: readonly BurstState[] = ['launching', 'starting'];

export interface BudgetCheck {
  ok: boolean;
  kind?: 'hourly' | 'monthly';
  reason: string;
}

/** Would one more instance at `price` break the hourly cap or the monthly budget? */
export function checkBudget(
  cfg: Pick<PolicyConfig, 'maxHourlySpend' | 'monthlyBudgetUsd'>,
  activeHourly: number,
  monthSpentUsd: number,
  price: number,
): BudgetCheck {
  const hourly = activeHourly + price;
  if (cfg.maxHourlySpend !== undefined && hourly > cfg.maxHourlySpend + 1e-9) {
    return { ok: false, kind: 'hourly', reason: `would raise burst spend to $${hourly.toFixed(2)}/h, over burst.maxHourlySpend $${cfg.maxHourlySpend.toFixed(2)}/h` };
  }
  // One hour of the new instance must still fit: it bills from the moment it is created.
  if (cfg.monthlyBudgetUsd !== undefined && monthSpentUsd + price > cfg.monthlyBudgetUsd + 1e-9) {
    return {
      ok: false,
      kind: 'monthly',
      reason: `burst spend this month is $${monthSpentUsd.toFixed(2)}; another hour at $${price.toFixed(2)} would pass burst.monthlyBudgetUsd $${cfg.monthlyBudgetUsd.toFixed(2)}`,
    };
  }
  return { ok: true, reason: `$${hourly.toFixed(2)}/h in total after launch` };
}

export function decide(
  cfg: PolicyConfig,
  instances: PolicyInstance[],
  memory: PolicyMemory,
  signals: PolicySignals,
  now: number,
): { decisions: Decision[]; memory: PolicyMemory } {
  const next: PolicyMemory = { ...memory };
  const decisions: Decision[] = [];
  const leaving = new Set<string>();

  let active = instances.filter((i) => ACTIVE.includes(i.state));
  for (const i of active) {
    if (now - i.launchedAt >= cfg.maxLifetimeMs) {
      decisions.push({ action: 'terminate', id: i.id, reason: `reached max lifetime (${Math.round(cfg.maxLifetimeMs / 60_000)} min)` });
      leaving.add(i.id);
    } else if (PENDING.includes(i.state) && now - i.launchedAt >= cfg.readyTimeoutMs) {
      decisions.push({ action: 'terminate', id: i.id, reason: `not ready after ${Math.round(cfg.readyTimeoutMs / 1000)}s` });
      leaving.add(i.id);
    }
  }
  active = active.filter((i) => !leaving.has(i.id));

  const above = signals.waiting !== null && signals.waiting > cfg.scaleUpQueueDepth;
  next.highSince = above ? (memory.highSince ?? now) : null;

  const pending = active.filter((i) => PENDING.includes(i.state)).length;
  const coolingDown = memory.lastScaleUpAt !== null && now - memory.lastScaleUpAt < cfg.cooldownMs;
  let want = 0;
  let why = '';
  if (active.length < cfg.minInstances) {
    want = cfg.minInstances - active.length;
    why = `below burst.minInstances (${active.length} < ${cfg.minInstances})`;
  } else if ((signals.lost ?? 0) > 0 && active.length < cfg.maxInstances) {
    // The capacity was wanted a moment ago: no load window, no cooldown (SkyServe replaces preempted replicas the same way).
    want = Math.min(signals.lost ?? 0, cfg.maxInstances - active.length);
    why = `replacing ${want} instance(s) the provider stopped (interrupted or crashed)`;
  } else if (above && next.highSince !== null && now - next.highSince >= cfg.scaleUpWindowMs) {
    if (active.length >= cfg.maxInstances) decisions.push({ action: 'hold', reason: `queue is high but burst.maxInstances (${cfg.maxInstances}) are running` });
    else if (pending > 0) decisions.push({ action: 'hold', reason: `queue is high; waiting for ${pending} instance(s) to become ready` });
    else if (coolingDown) decisions.push({ action: 'hold', reason: `queue is high; in scale-up cooldown` });
    else {
      want = 1;
      why = `${signals.waiting} requests waiting, above ${cfg.scaleUpQueueDepth} for ${Math.round((now - next.highSince) / 1000)}s`;
    }
  } else if (above) {
    decisions.push({ action: 'hold', reason: `queue above ${cfg.scaleUpQueueDepth}; waiting out the ${Math.round(cfg.scaleUpWindowMs / 1000)}s window` });
  }

  if (want > 0) {
    const price = signals.nextPricePerHour;
    if (price === null) decisions.push({ action: 'refuse', reason: `${why}, but no offer fits (GPU type, count, max price)`, budget: 'offer' });
    else {
      let hourly = active.reduce((s, i) => s + i.pricePerHour, 0);
      let launch = 0;
      let spent = signals.monthSpentUsd;
      for (let k = 0; k < want; k++) {
        const b = checkBudget(cfg, hourly, spent, price);
        if (!b.ok) {
          decisions.push({ action: 'refuse', reason: `${why}, but it ${b.reason}`, budget: b.kind ?? 'hourly' });
          break;
        }
        launch++;
        hourly += price;
        spent += price;
      }
      if (launch > 0) {
        decisions.push({ action: 'launch', count: launch, reason: why });
        next.lastScaleUpAt = now;
        next.highSince = null;
      }
    }
  }

  // Scale down idle instances, never below minInstances and never right after a scale-up.
  if (!coolingDown && want === 0) {
    let keep = active.length;
    const idle = active
      .filter((i) => i.state === 'ready')
      .map((i) => ({ i, since: Math.max(i.readyAt ?? i.launchedAt, i.lastActiveAt ?? 0) }))
      .filter(({ since }) => now - since >= cfg.idleTtlMs)
      .sort((a, b) => a.since - b.since);
    for (const { i } of idle) {
      if (keep <= cfg.minInstances || above) break;
      decisions.push({ action: 'terminate', id: i.id, reason: `idle for ${Math.round(cfg.idleTtlMs / 1000)}s` });
      next.lastScaleDownAt = now;
      keep--;
    }
  }
  return { decisions, memory: next };
}
