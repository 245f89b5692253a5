import type { LunaConfig } from '../config/schema.js';
import { usd } from './format.js';
import type { Alert, AlertSeverity, Snapshot, SourceName } from './types.js';

export type AlertInput = Omit<Alert, 'since'>;

const SOURCE_LABEL: Record<SourceName, string> = { api: 'luna api', serve: 'luna serve', burst: 'burst (store)', dreamer: 'Dreamer queue (store)', money: 'ledger (store)' };

const pct = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Restart counts seen per shard, to tell a restart loop from one crash. */
export type RestartHistory = Map<string, { at: number; restarts: number }[]>;

/** The conditions an operator must see now, from one snapshot (and the shards' recent restarts). */
export function deriveAlerts(s: Omit<Snapshot, 'alerts' | 'history'>, config: LunaConfig, restarts: RestartHistory, now: number): AlertInput[] {
  const a = config.top.alerts;
  const out: AlertInput[] = [];
  const add = (key: string, severity: AlertSeverity, text: string) => out.push({ key, severity, text });
  for (const [name, st] of Object.entries(s.sources) as [SourceName, Snapshot['sources'][SourceName]][]) {
    if (st.configured && !st.ok) add(`source:${name}`, 'critical', `${SOURCE_LABEL[name]} unreachable: ${st.error ?? 'no answer'}`);
  }
  for (const p of s.service?.apis ?? []) {
    if (!p.up && s.sources.api.ok) add(`api:down:${p.url}`, 'critical', `luna api ${p.url} unreachable: ${p.error ?? 'no answer'}`);
  }
  if (s.serve) {
    for (const sh of s.serve.shards) {
      const down = ['failed', 'backoff', 'unhealthy'].includes(sh.state) || (sh.state === 'starting' && sh.restarts > 0) || sh.state === 'stopped';
      if (down) add(`shard:down:${sh.name}`, sh.state === 'stopped' ? 'warning' : 'critical', `shard ${sh.name} ${sh.state}${sh.lastError ? ` (${sh.lastError})` : sh.lastExit ? ` (${sh.lastExit})` : ''}`);
      const seen = restarts.get(sh.name) ?? [];
      const base = seen.find((x) => x.at >= now - a.restartWindowMs);
      const recent = base ? sh.restarts - base.restarts : 0;
      if (sh.state === 'failed' && sh.restarts >= a.restartLoop) add(`shard:loop:${sh.name}`, 'critical', `shard ${sh.name} gave up after ${sh.restarts} restarts`);
      else if (recent >= a.restartLoop) add(`shard:loop:${sh.name}`, 'critical', `shard ${sh.name} restarting in a loop: ${recent} restarts in ${Math.round(a.restartWindowMs / 60_000)} min`);
    }
    for (const g of s.serve.gpus) {
      if (g.temperatureC !== null && g.temperatureC >= a.gpuTempC) add(`gpu:temp:${g.index}`, 'critical', `GPU ${g.index} at ${g.temperatureC}°C (alert at ${a.gpuTempC}°C)`);
    }
    if (s.serve.waitingTotal > config.burst.scaleUpQueueDepth) {
      add('queue:depth', 'warning', `${s.serve.waitingTotal} requests waiting on shards, above burst.scaleUpQueueDepth ${config.burst.scaleUpQueueDepth}`);
    }
  }
  const svc = s.service;
  if (svc && svc.errorRate !== null && svc.finishedInWindow >= a.minTurns && svc.errorRate > a.errorRate) {
    add('api:errors', 'critical', `API error rate ${pct(svc.errorRate)} (${svc.errorsInWindow} of ${svc.finishedInWindow} turns), above ${pct(a.errorRate)}`);
  }
  for (const b of s.money?.budgets ?? []) {
    if (b.level === 'ok') continue;
    const limit = b.level === 'hard' ? b.hard : b.soft;
    add(`budget:${b.name}`, b.level === 'hard' ? 'critical' : 'warning', `${b.name} over its ${b.level} limit: ${usd(b.used)} of ${usd(limit ?? 0)} ${b.period === 'day' ? 'today' : 'this month'}`);
  }
  for (const i of s.burst?.instances ?? []) {
    const age = now - Date.parse(i.launchedAt);
    if (['launching', 'starting'].includes(i.state) && age > a.burstReadyMs) {
      add(`burst:slow:${i.id}`, 'warning', `burst ${i.name} not ready after ${Math.round(age / 60_000)} min (${i.state}, $${i.pricePerHour.toFixed(2)}/h)`);
    }
  }
  for (const o of s.burst?.lastStep?.orphans ?? []) {
    add(`burst:orphan:${o.name}`, 'critical', `orphan instance ${o.name} at ${o.provider} (${o.status}): not tracked, still billed — luna burst down --all`);
  }
  return out;
}

/** Remembers when each alert began; an alert that clears and comes back starts again. */
export class AlertTracker {
  private readonly since = new Map<string, string>();

  update(current: AlertInput[], at: string): Alert[] {
    const keys = new Set(current.map((c) => c.key));
    for (const k of [...this.since.keys()]) if (!keys.has(k)) this.since.delete(k);
    const out = current.map((c) => {
      if (!this.since.has(c.key)) this.since.set(c.key, at);
      return { ...c, since: this.since.get(c.key)! };
    });
    // critical first, then oldest first
    return out.sort((x, y) => (x.severity === y.severity ? x.since.localeCompare(y.since) : x.severity === 'critical' ? -1 : 1));
  }
}
