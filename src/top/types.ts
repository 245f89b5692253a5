import type { BurstState, JobState } from '../store/types.js';
import type { BudgetItem } from '../cost/guard.js';
import type { GpuInfo } from '../serve/gpu.js';
import type { ShardStatus } from '../serve/state.js';
import type { LastStep } from '../burst/last-step.js';

/** What `luna top` watches; each one fails on its own. */
export type SourceName = 'api' | 'serve' | 'burst' | 'dreamer' | 'money';
export const SOURCES: readonly SourceName[] = ['api', 'serve', 'burst', 'dreamer', 'money'];

export interface SourceStatus {
  /** false: not configured here (no API list, no shards): nothing to watch, no alert. */
  configured: boolean;
  ok: boolean;
  error: string | null;
  /** When the current run of failures began (ISO); null while it answers. */
  unreachableSince: string | null;
  /** When it last answered (ISO). */
  updatedAt: string | null;
}

export interface Quantiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

export interface ApiProcessView {
  url: string;
  up: boolean;
  error: string | null;
  unreachableSince: string | null;
}

/** From every `luna api` process's /metrics, summed; latencies in seconds over the trailing window. */
export interface ServiceView {
  apis: ApiProcessView[];
  turnsPerSec: number | null;
  latency: Quantiles;
  ttft: Quantiles;
  /** Failed share of the turns that finished in the window (cancelled turns are not failures); null with none. */
  errorRate: number | null;
  finishedInWindow: number;
  errorsInWindow: number;
  inFlight: number;
  inFlightByTier: Record<string, number>;
  /** Admitted turns waiting for a model slot (luna api's --max-concurrent), by tier. */
  queued: number;
  queuedByTier: Record<string, number>;
  /** Totals since each process started. */
  overloadedTotal: number;
  rateLimitedTotal: number;
  /** Rejections per minute over the window. */
  overloadedPerMin: number | null;
  rateLimitedPerMin: number | null;
  sseConnections: number;
  costUsdPerHour: number | null;
}

export interface ShardView extends ShardStatus {
  gpuInfo: GpuInfo[];
}

export interface ServeView {
  pid: number;
  status: string;
  startedAt: string;
  controlPort: number;
  shards: ShardView[];
  gpus: GpuInfo[];
  gpuProblem: string | null;
  waitingTotal: number;
}

export interface BurstInstanceView {
  id: string;
  name: string;
  provider: string;
  gpuType: string;
  gpuCount: number;
  state: BurstState;
  launchedAt: string;
  readyAt: string | null;
  pricePerHour: number;
  spentUsd: number;
  lastError: string | null;
}

export interface BurstView {
  deployment: string;
  instances: BurstInstanceView[];
  hourlyUsd: number;
  monthSpentUsd: number;
  lastStep: LastStep | null;
}

export interface DreamerView {
  counts: Record<JobState, number>;
  oldestQueuedAt: string | null;
  oldestQueuedKind: string | null;
  lastFailure: { id: string; kind: string; error: string | null; at: string } | null;
}

export interface MoneyView {
  usdPerHour: number;
  burstUsdPerHour: number;
  /** Model spend over the last 10 minutes, per hour (burst rows excluded). */
  modelUsdPerHour: number;
  turnsToday: number;
  costPerTurnToday: number | null;
  spentTodayUsd: number;
  spentMonthUsd: number;
  projectedMonthUsd: number;
  budgets: BudgetItem[];
}

export type AlertSeverity = 'critical' | 'warning';

export interface Alert {
  key: string;
  severity: AlertSeverity;
  text: string;
  /** When it began (ISO): the first snapshot that showed it. */
  since: string;
}

export interface Snapshot {
  at: string;
  sources: Record<SourceName, SourceStatus>;
  service: ServiceView | null;
  serve: ServeView | null;
  burst: BurstView | null;
  dreamer: DreamerView | null;
  money: MoneyView | null;
  alerts: Alert[];
  /** Oldest first, one point per snapshot. */
  history: { turnsPerSec: (number | null)[]; p95: (number | null)[]; usdPerHour: (number | null)[] };
}
