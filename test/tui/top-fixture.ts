import type { TopActions } from '../../src/top/actions.js';
import type { ShardView, Snapshot } from '../../src/top/types.js';

const AT = '2026-12-05T13:00:00.000Z';
const gpu = (index: number, temperatureC: number) => ({ index, uuid: `GPU-${index}`, name: 'NVIDIA L4', memoryTotalMiB: 23034, memoryUsedMiB: 12000, utilizationPct: 70, temperatureC, powerW: 60 });

function shard(name: string, i: number, over: Partial<ShardView> = {}): ShardView {
  return {
    name, engine: 'vllm', model: `Qwen/Qwen2.5-7B-Instruct-${name}`, serves: ['writer'], servedNames: ['writer'], gpus: [i], gpuUuids: [`GPU-${i}`], port: 8100 + i,
    state: 'ready', pid: 1000 + i, pidStartTime: 1, readySince: '2026-12-05T12:00:00.000Z', restarts: 0, lastExit: null, lastError: null,
    running: 2, waiting: 1, kvCache: 0.4, tokensPerSec: 812.5, gpuInfo: [gpu(i, 60 + i)], ...over,
  };
}

/** A full snapshot: 2 API processes, `shards` shards, 3 burst instances, budgets and alerts. */
export function sampleSnapshot(o: { shards?: number; at?: string } = {}): Snapshot {
  const at = o.at ?? AT;
  const shards = Array.from({ length: o.shards ?? 4 }, (_, i) => shard(['alpha', 'big', 'cpp', 'delta'][i] ?? `s${i}`, i));
  const ok = { configured: true, ok: true, error: null, unreachableSince: null, updatedAt: at };
  const inst = (id: string, state: 'ready' | 'starting' | 'draining', price: number) => ({
    id, name: `luna-default-${id}`, provider: 'runpod', gpuType: 'RTX_4090', gpuCount: 1, state, launchedAt: '2026-12-05T12:30:00.000Z', readyAt: null, pricePerHour: price, spentUsd: price / 2, lastError: null,
  });
  return {
    at,
    sources: { api: ok, serve: ok, burst: ok, dreamer: ok, money: ok },
    service: {
      apis: [{ url: 'http://10.0.0.1:8787', up: true, error: null, unreachableSince: null }, { url: 'http://10.0.0.2:8787', up: true, error: null, unreachableSince: null }],
      turnsPerSec: 3.25, latency: { p50: 0.8, p95: 2.1, p99: 4 }, ttft: { p50: 0.2, p95: 0.5, p99: 0.9 }, errorRate: 0.012, finishedInWindow: 160, errorsInWindow: 2,
      inFlight: 5, inFlightByTier: { free: 3, studio: 2 }, queued: 2, queuedByTier: { free: 2 }, overloadedTotal: 1, rateLimitedTotal: 4, overloadedPerMin: 0, rateLimitedPerMin: 2, sseConnections: 5, costUsdPerHour: 0.4,
    },
    serve: { pid: 99, status: 'running', startedAt: '2026-12-05T11:00:00.000Z', controlPort: 9464, shards, gpus: shards.flatMap((s) => s.gpuInfo), gpuProblem: null, waitingTotal: shards.length },
    burst: {
      deployment: 'default', instances: [inst('b1', 'ready', 0.69), inst('b2', 'starting', 0.74), inst('b3', 'draining', 0.44)], hourlyUsd: 1.87, monthSpentUsd: 12.5,
      lastStep: { at, waiting: 12, metricsError: null, decisions: [{ action: 'launch', count: 1, reason: 'queue 12 > 8 for 60s' }], errors: [], orphans: [] },
    },
    dreamer: { counts: { queued: 7, running: 1, done: 420, failed: 2 }, oldestQueuedAt: '2026-12-05T12:58:00.000Z', oldestQueuedKind: 'entity-sheet', lastFailure: { id: 'job-9', kind: 'arc-summary', error: 'model timed out', at } },
    money: {
      usdPerHour: 2.27, burstUsdPerHour: 1.87, modelUsdPerHour: 0.4, turnsToday: 5400, costPerTurnToday: 0.0031, spentTodayUsd: 16.74, spentMonthUsd: 88.2, projectedMonthUsd: 612.3,
      budgets: [{ name: 'global budget', kind: 'budget', scope: 'global', accountId: null, period: 'month', since: '2026-12-01T00:00:00.000Z', used: 88.2, unpricedCalls: 0, soft: 80, hard: 200, level: 'soft' }],
    },
    alerts: [
      { key: 'queue:depth', severity: 'warning', text: '12 requests waiting on shards, above burst.scaleUpQueueDepth 8', since: '2026-12-05T12:59:10.000Z' },
      { key: 'budget:global budget', severity: 'warning', text: 'global budget over its soft limit: $88.20 of $80.00 this month', since: '2026-12-05T10:00:00.000Z' },
    ],
    history: { turnsPerSec: [1, 2, 3, 2.5, 3.25], p95: [1.5, 2, 2.1, 1.9, 2.1], usdPerHour: [2, 2.1, 2.27, 2.27, 2.27] },
  };
}

/** Actions that record what the console asked for and answer as the real ones do (one line each). */
export function recordingActions() {
  const calls: string[] = [];
  const actions: TopActions = {
    async logTail(shard, lines) {
      calls.push(`log ${shard}`);
      return Array.from({ length: Math.min(lines, 40) }, (_, i) => `${shard} log line ${i + 1}`);
    },
    async restartShard(shard) {
      calls.push(`restart ${shard}`);
      return `${shard} restarted; it shows ready once its engine answers`;
    },
    async drainInstance(id) {
      calls.push(`drain ${id}`);
      return `luna-default-${id}: terminated`;
    },
    async terminateInstance(id) {
      calls.push(`terminate ${id}`);
      return `luna-default-${id}: terminated`;
    },
  };
  return { calls, actions };
}
