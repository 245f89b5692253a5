import type { LunaConfig } from '../config/schema.js';
import { budgetItems } from '../cost/guard.js';
import { dayStart, monthStart } from '../cost/period.js';
import { BILLABLE, monthStart as burstMonthStart, unbilledUsd } from '../burst/billing.js';
import { lastStepFile, readLastStep } from '../burst/last-step.js';
import { daemonAlive, readState, servePaths, type ServeState } from '../serve/state.js';
import type { BurstInstance, Store } from '../store/types.js';
import { byLabel, bucketsOf, parseSamples, sumOf, type Buckets } from './prom-text.js';
import type { BurstView, DreamerView, MoneyView, ServeView } from './types.js';

/** The store roles `luna top` reads: it never writes. */
export type TopStore = Pick<Store, 'jobCounts' | 'listJobs' | 'listBurstInstances' | 'listCalls' | 'aggregateCalls' | 'getAccount'>;

/** One `luna api` process's cumulative counters at one moment. */
export interface ApiScrape {
  at: number;
  turnsByOutcome: Record<string, number>;
  turnBuckets: Buckets;
  ttftBuckets: Buckets;
  inFlight: number;
  inFlightByTier: Record<string, number>;
  queuedByTier: Record<string, number>;
  overloaded: number;
  rateLimited: number;
  sse: number;
  costUsd: number;
}

async function getText(url: string, timeoutMs: number): Promise<string> {
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    throw new Error(e.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (e.cause?.code ?? e.message));
  }
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  return res.text();
}

export function metricsUrl(base: string): string {
  return base.replace(/\/+$/, '').endsWith('/metrics') ? base : `${base.replace(/\/+$/, '')}/metrics`;
}

export async function scrapeApi(base: string, timeoutMs: number, now = Date.now()): Promise<ApiScrape> {
  const s = parseSamples(await getText(metricsUrl(base), timeoutMs));
  if (!s.some((x) => x.name.startsWith('luna_api_'))) throw new Error('answers, but exports no luna_api_* metrics (not a luna api?)');
  return {
    at: now,
    turnsByOutcome: byLabel(s, 'luna_api_turns_total', 'outcome'),
    turnBuckets: bucketsOf(s, 'luna_api_turn_seconds'),
    ttftBuckets: bucketsOf(s, 'luna_api_ttft_seconds'),
    inFlight: sumOf(s, 'luna_api_turns_in_flight') ?? 0,
    inFlightByTier: byLabel(s, 'luna_api_turns_in_flight_by_tier', 'tier'),
    queuedByTier: byLabel(s, 'luna_api_turns_queued', 'tier'),
    overloaded: sumOf(s, 'luna_api_overloaded_total') ?? 0,
    rateLimited: sumOf(s, 'luna_api_rate_limited_total') ?? 0,
    sse: sumOf(s, 'luna_api_sse_connections') ?? 0,
    costUsd: sumOf(s, 'luna_api_cost_usd_total') ?? 0,
  };
}

/** Live state from the supervisor's control endpoint (the state file only names its port). */
export async function readServe(home: string, timeoutMs: number): Promise<ServeView> {
  const file = readState(servePaths(home));
  if (!file || file.daemon.status === 'stopped' || !daemonAlive(file)) throw new Error('luna serve is not running');
  let state: ServeState;
  try {
    state = JSON.parse(await getText(`http://127.0.0.1:${file.daemon.controlPort}/state`, timeoutMs)) as ServeState;
  } catch (err) {
    throw new Error(`control endpoint 127.0.0.1:${file.daemon.controlPort}: ${(err as Error).message}`);
  }
  return {
    pid: state.daemon.pid, status: state.daemon.status, startedAt: state.daemon.startedAt, controlPort: state.daemon.controlPort,
    shards: state.shards.map((sh) => ({ ...sh, gpuInfo: state.gpus.filter((g) => sh.gpus.includes(g.index)) })),
    gpus: state.gpus, gpuProblem: state.gpuProblem,
    waitingTotal: state.shards.reduce((n, sh) => n + (sh.waiting ?? 0), 0),
  };
}

export async function readBurst(store: TopStore, config: LunaConfig, home: string, now: number): Promise<BurstView> {
  const deployment = config.burst.deployment;
  const all = await store.listBurstInstances({ deployment });
  // Terminated instances of the last hour stay visible: "why did it go away" is the operator's next question.
  const shown = all.filter((i) => BILLABLE.includes(i.state) || Date.parse(i.terminatedAt ?? i.launchedAt) > now - 3_600_000);
  const rows = shown.length ? await store.listCalls({ agent: 'burst', limit: 1_000_000 }) : [];
  const spent = new Map<string, number>();
  for (const r of rows) if (r.instanceId) spent.set(r.instanceId, (spent.get(r.instanceId) ?? 0) + (r.costUsd ?? 0));
  const active = all.filter((i) => BILLABLE.includes(i.state));
  return {
    deployment,
    instances: shown.map((i) => ({
      id: i.id, name: i.name, provider: i.provider, gpuType: i.gpuType, gpuCount: i.gpuCount, state: i.state, launchedAt: i.launchedAt,
      readyAt: i.readyAt, pricePerHour: i.pricePerHour, spentUsd: (spent.get(i.id) ?? 0) + unbilledUsd(i, now), lastError: i.lastError,
    })),
    hourlyUsd: active.filter((i) => i.state !== 'terminating').reduce((s, i) => s + i.pricePerHour, 0),
    monthSpentUsd: await burstMonthSpend(store, active, now),
    lastStep: readLastStep(lastStepFile(home, deployment)),
  };
}

/** As the burst manager counts it (ledgered rows this month plus unbilled time), from read-only roles. */
async function burstMonthSpend(store: TopStore, active: BurstInstance[], now: number): Promise<number> {
  const rows = await store.aggregateCalls(['agent'], { agent: 'burst', since: burstMonthStart(now) });
  return rows.reduce((s, r) => s + r.costUsd, 0) + active.reduce((s, i) => s + unbilledUsd(i, now), 0);
}

export async function readDreamer(store: TopStore): Promise<DreamerView> {
  const [counts, [oldest]] = await Promise.all([store.jobCounts(), store.listJobs({ state: 'queued', limit: 1 })]);
  let lastFailure: DreamerView['lastFailure'] = null;
  if (counts.failed > 0) {
    // listJobs is oldest first: the newest failure is the last row
    const failed = await store.listJobs({ state: 'failed' });
    const f = failed.at(-1);
    if (f) lastFailure = { id: f.id, kind: f.kind, error: f.lastError, at: f.updatedAt };
  }
  return { counts, oldestQueuedAt: oldest?.createdAt ?? null, oldestQueuedKind: oldest?.kind ?? null, lastFailure };
}

const MODEL_WINDOW_MS = 10 * 60_000;

export async function readMoney(store: TopStore, config: LunaConfig, now: number, burstUsdPerHour: number): Promise<MoneyView> {
  const date = new Date(now);
  const day = dayStart(date).toISOString();
  const month = monthStart(date);
  const [[today], todayByAgent, [thisMonth], recent, budgets] = await Promise.all([
    store.aggregateCalls([], { since: day }),
    store.aggregateCalls(['agent'], { since: day }),
    store.aggregateCalls([], { since: month.toISOString() }),
    store.aggregateCalls(['agent'], { since: new Date(now - MODEL_WINDOW_MS).toISOString() }),
    budgetItems(store, config, date),
  ]);
  const modelUsdPerHour = (recent.filter((r) => r.keys.agent !== 'burst').reduce((s, r) => s + r.costUsd, 0) * 3_600_000) / MODEL_WINDOW_MS;
  const turnsToday = today?.turns ?? 0;
  const spentTodayUsd = today?.costUsd ?? 0;
  // Turn cost today is what the turns' own calls cost: burst rent is not per turn.
  const turnCost = todayByAgent.filter((r) => r.keys.agent !== 'burst').reduce((s, r) => s + r.costUsd, 0);
  const spentMonthUsd = thisMonth?.costUsd ?? 0;
  const monthMs = monthStart(date, 1).getTime() - month.getTime();
  const elapsed = Math.max(60_000, now - month.getTime());
  const usdPerHour = burstUsdPerHour + modelUsdPerHour;
  // Linear: the month so far at its own average rate, never below what is spent plus the burst already running.
  const projectedMonthUsd = Math.max((spentMonthUsd * monthMs) / elapsed, spentMonthUsd + (burstUsdPerHour * (monthMs - elapsed)) / 3_600_000);
  return {
    usdPerHour, burstUsdPerHour, modelUsdPerHour, turnsToday,
    costPerTurnToday: turnsToday ? turnCost / turnsToday : null,
    spentTodayUsd, spentMonthUsd, projectedMonthUsd, budgets,
  };
}
