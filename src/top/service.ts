import { addBuckets, diffBuckets, quantile, type Buckets } from './prom-text.js';
import type { ApiScrape } from './sources.js';
import type { ApiProcessView, Quantiles, ServiceView } from './types.js';

/** Outcomes that are the caller's doing or a limit working as meant: not server errors. */
const NOT_ERRORS = new Set(['done', 'cancelled', 'bad_request', 'not_found', 'unauthorized', 'budget_exceeded', 'story_busy']);

const sum = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

/** later − earlier per key; a restarted process (a counter went down) counts from zero. */
function diffRecord(later: Record<string, number>, earlier: Record<string, number> | undefined): Record<string, number> {
  if (!earlier) return { ...later };
  const reset = Object.entries(later).some(([k, v]) => v < (earlier[k] ?? 0));
  return Object.fromEntries(Object.entries(later).map(([k, v]) => [k, reset ? v : v - (earlier[k] ?? 0)]));
}

const diff = (later: number, earlier: number | undefined) => (earlier === undefined || later < earlier ? later : later - earlier);

function quantiles(b: Buckets): Quantiles {
  return { p50: quantile(0.5, b), p95: quantile(0.95, b), p99: quantile(0.99, b) };
}

/**
 * Successive scrapes of each `luna api` process, turned into rates and window quantiles. Each process is
 * differenced against itself, so one restarting (its counters back at zero) or going away skews nothing.
 */
export class ServiceWindow {
  private readonly hist = new Map<string, ApiScrape[]>();

  constructor(private readonly windowMs: number) {}

  add(url: string, s: ApiScrape): void {
    const list = this.hist.get(url) ?? [];
    list.push(s);
    // keep the newest scrape at or before the window's start as the base to difference against
    while (list.length > 2 && list[1]!.at <= s.at - this.windowMs) list.shift();
    this.hist.set(url, list);
  }

  view(apis: ApiProcessView[]): ServiceView {
    let turns = 0;
    let finished = 0;
    let errors = 0;
    let spanMs = 0;
    let turnB: Buckets = [];
    let ttftB: Buckets = [];
    let overloaded = 0, rateLimited = 0, cost = 0;
    let inFlight = 0, sse = 0, overTotal = 0, rlTotal = 0;
    const byTier: Record<string, number> = {};
    const queuedByTier: Record<string, number> = {};
    let rated = false;
    for (const a of apis.filter((x) => x.up)) {
      const list = this.hist.get(a.url);
      const last = list?.at(-1);
      if (!list || !last) continue;
      const base = list.length > 1 ? list[0]! : undefined;
      const outcomes = diffRecord(last.turnsByOutcome, base?.turnsByOutcome);
      const n = sum(outcomes);
      const cancelled = outcomes.cancelled ?? 0;
      finished += n - cancelled;
      errors += Object.entries(outcomes).filter(([k]) => !NOT_ERRORS.has(k)).reduce((s, [, v]) => s + v, 0);
      turnB = addBuckets(turnB, diffBuckets(last.turnBuckets, base?.turnBuckets ?? null));
      ttftB = addBuckets(ttftB, diffBuckets(last.ttftBuckets, base?.ttftBuckets ?? null));
      inFlight += last.inFlight;
      sse += last.sse;
      overTotal += last.overloaded;
      rlTotal += last.rateLimited;
      for (const [t, v] of Object.entries(last.inFlightByTier)) byTier[t] = (byTier[t] ?? 0) + v;
      for (const [t, v] of Object.entries(last.queuedByTier)) queuedByTier[t] = (queuedByTier[t] ?? 0) + v;
      if (base) {
        rated = true;
        const span = last.at - base.at;
        spanMs = Math.max(spanMs, span);
        // per-process rates add up: each is its own counter over its own span
        if (span > 0) {
          turns += (n * 1000) / span;
          overloaded += (diff(last.overloaded, base.overloaded) * 60_000) / span;
          rateLimited += (diff(last.rateLimited, base.rateLimited) * 60_000) / span;
          cost += (diff(last.costUsd, base.costUsd) * 3_600_000) / span;
        }
      }
    }
    const anyUp = apis.some((a) => a.up);
    return {
      apis,
      turnsPerSec: rated && spanMs > 0 ? turns : null,
      latency: quantiles(turnB),
      ttft: quantiles(ttftB),
      errorRate: finished > 0 ? errors / finished : null,
      finishedInWindow: finished,
      errorsInWindow: errors,
      inFlight,
      inFlightByTier: Object.fromEntries(Object.entries(byTier).filter(([, v]) => v > 0)),
      queued: Object.values(queuedByTier).reduce((a, b) => a + b, 0),
      queuedByTier: Object.fromEntries(Object.entries(queuedByTier).filter(([, v]) => v > 0)),
      overloadedTotal: overTotal,
      rateLimitedTotal: rlTotal,
      overloadedPerMin: rated && anyUp ? overloaded : null,
      rateLimitedPerMin: rated && anyUp ? rateLimited : null,
      sseConnections: sse,
      costUsdPerHour: rated ? cost : null,
    };
  }
}
