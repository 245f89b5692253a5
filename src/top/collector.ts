import type { LunaConfig } from '../config/schema.js';
import { redactSecrets } from '../errors.js';
import { AlertTracker, deriveAlerts, type RestartHistory } from './alerts.js';
import { ServiceWindow } from './service.js';
import { readBurst, readDreamer, readMoney, readServe, scrapeApi, type TopStore } from './sources.js';
import { SOURCES, type ApiProcessView, type Snapshot, type SourceName, type SourceStatus } from './types.js';

export interface CollectorDeps {
  config: LunaConfig;
  home: string;
  /** The store, opened on first use; a rejection marks the store-backed panes unreachable until it opens. */
  store: () => Promise<TopStore>;
  now?: () => number;
  /** Overrides config.top.apis (tests, `--api`). */
  apis?: string[];
}

const message = (err: unknown) => redactSecrets(err instanceof Error ? err.message : String(err)).split('\n')[0]!.slice(0, 200);

/**
 * Builds successive snapshots of the whole service. Every source is read on its own and may fail on its own:
 * its pane keeps the last good data marked "unreachable since …" and the others keep updating. Rates,
 * window quantiles, sparklines and the time each alert began come from the snapshots before this one.
 */
export class TopCollector {
  private readonly now: () => number;
  private readonly window: ServiceWindow;
  private readonly alerts = new AlertTracker();
  private readonly restarts: RestartHistory = new Map();
  private readonly status = new Map<SourceName, SourceStatus>();
  private readonly apiDown = new Map<string, string>();
  private last: Snapshot | null = null;
  private storeReadAt = 0;
  private readonly history: Snapshot['history'] = { turnsPerSec: [], p95: [], usdPerHour: [] };

  constructor(private readonly deps: CollectorDeps) {
    this.now = deps.now ?? Date.now;
    this.window = new ServiceWindow(deps.config.top.windowMs);
  }

  get apis(): string[] {
    return this.deps.apis ?? this.deps.config.top.apis;
  }

  private mark(name: SourceName, at: string, configured: boolean, err: unknown | null): void {
    const prev = this.status.get(name);
    this.status.set(name, err === null
      ? { configured, ok: true, error: null, unreachableSince: null, updatedAt: at }
      : { configured, ok: false, error: message(err), unreachableSince: configured ? prev?.unreachableSince ?? at : null, updatedAt: prev?.updatedAt ?? null });
  }

  /** One refresh. Never throws: a failing source is recorded in the snapshot. */
  async snapshot(): Promise<Snapshot> {
    const now = this.now();
    const at = new Date(now).toISOString();
    const cfg = this.deps.config;
    const timeout = cfg.top.timeoutMs;
    const prev = this.last;
    const storeDue = !prev || now - this.storeReadAt >= cfg.top.storeIntervalMs;

    const apiTask = Promise.all(this.apis.map(async (url): Promise<ApiProcessView> => {
      try {
        this.window.add(url, await scrapeApi(url, timeout, now));
        this.apiDown.delete(url);
        return { url, up: true, error: null, unreachableSince: null };
      } catch (err) {
        if (!this.apiDown.has(url)) this.apiDown.set(url, at);
        return { url, up: false, error: message(err), unreachableSince: this.apiDown.get(url)! };
      }
    }));
    const serveTask = readServe(this.deps.home, timeout).then((v) => ({ v }), (e: unknown) => ({ e }));
    const storeTask = storeDue ? this.readStore(now) : null;

    const apis = await apiTask;
    const serve = await serveTask;
    let service = prev?.service ?? null;
    if (this.apis.length) {
      const anyUp = apis.some((a) => a.up);
      service = this.window.view(apis);
      this.mark('api', at, true, anyUp ? null : new Error(apis.length === 1 ? apis[0]!.error ?? 'no answer' : 'no luna api process answers'));
    } else this.mark('api', at, false, new Error('no luna api processes configured (top.apis)'));

    const serveConfigured = cfg.serve.shards.length > 0;
    if ('v' in serve) this.mark('serve', at, true, null);
    else this.mark('serve', at, serveConfigured || this.status.get('serve')?.ok === true, serve.e);
    const serveView = 'v' in serve ? serve.v : prev?.serve ?? null;
    if ('v' in serve) this.trackRestarts(serve.v, now);

    let { burst, dreamer, money } = prev ?? { burst: null, dreamer: null, money: null };
    if (storeTask) {
      const r = await storeTask;
      this.storeReadAt = now;
      burst = r.burst ?? burst;
      dreamer = r.dreamer ?? dreamer;
      money = r.money ?? money;
    }
    const sources = Object.fromEntries(SOURCES.map((n) => [n, this.status.get(n) ?? { configured: true, ok: false, error: 'not read yet', unreachableSince: null, updatedAt: null }])) as Snapshot['sources'];
    const base = { at, sources, service, serve: serveView, burst, dreamer, money };
    // Stale data stays on screen (marked unreachable) but raises no alert of its own: the source alert says it.
    const live = { ...base, serve: sources.serve.ok ? serveView : null, burst: sources.burst.ok ? burst : null, money: sources.money.ok ? money : null };
    const snap: Snapshot = { ...base, alerts: this.alerts.update(deriveAlerts(live, cfg, this.restarts, now), at), history: this.push(service, money) };
    this.last = snap;
    return snap;
  }

  private async readStore(now: number): Promise<Pick<Snapshot, 'burst' | 'dreamer' | 'money'>> {
    const at = new Date(now).toISOString();
    let store: TopStore;
    try {
      store = await this.deps.store();
    } catch (err) {
      for (const n of ['burst', 'dreamer', 'money'] as const) this.mark(n, at, true, err);
      return { burst: null, dreamer: null, money: null };
    }
    const cfg = this.deps.config;
    const burstConfigured = Object.values(cfg.burst.providers).some(Boolean) && cfg.burst.maxInstances > 0;
    const [b, d] = await Promise.allSettled([readBurst(store, cfg, this.deps.home, now), readDreamer(store)]);
    const burst = b.status === 'fulfilled' ? b.value : null;
    this.mark('burst', at, burstConfigured || (burst?.instances.length ?? 0) > 0, b.status === 'fulfilled' ? null : b.reason);
    this.mark('dreamer', at, true, d.status === 'fulfilled' ? null : d.reason);
    let money = null;
    try {
      money = await readMoney(store, cfg, now, burst?.hourlyUsd ?? this.last?.burst?.hourlyUsd ?? 0);
      this.mark('money', at, true, null);
    } catch (err) {
      this.mark('money', at, true, err);
    }
    return { burst, dreamer: d.status === 'fulfilled' ? d.value : null, money };
  }

  private trackRestarts(serve: NonNullable<Snapshot['serve']>, now: number): void {
    const keep = this.deps.config.top.alerts.restartWindowMs;
    for (const sh of serve.shards) {
      const list = this.restarts.get(sh.name) ?? [];
      list.push({ at: now, restarts: sh.restarts });
      while (list.length > 2 && list[1]!.at <= now - keep) list.shift();
      // a new supervisor counts from zero again
      if (list.length > 1 && sh.restarts < list[0]!.restarts) list.splice(0, list.length - 1);
      this.restarts.set(sh.name, list);
    }
  }

  private push(service: Snapshot['service'], money: Snapshot['money']): Snapshot['history'] {
    const n = this.deps.config.top.historyPoints;
    const h = this.history;
    h.turnsPerSec.push(service?.turnsPerSec ?? null);
    h.p95.push(service?.latency.p95 ?? null);
    h.usdPerHour.push(money?.usdPerHour ?? null);
    for (const k of Object.keys(h) as (keyof typeof h)[]) if (h[k].length > n) h[k].splice(0, h[k].length - n);
    return { turnsPerSec: [...h.turnsPerSec], p95: [...h.p95], usdPerHour: [...h.usdPerHour] };
  }
}
