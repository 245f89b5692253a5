import { describe, expect, it } from 'vitest';
import { createApiMetrics } from '../../src/api/metrics.js';
import { bucketsOf, diffBuckets, parseSamples, quantile, sumOf } from '../../src/top/prom-text.js';
import { ServiceWindow } from '../../src/top/service.js';
import { scrapeApi } from '../../src/top/sources.js';

// Real exporter text (luna api's own prom-client registry), read back as luna top reads it.
describe('reading luna api metrics', () => {
  it('quantiles interpolate within the bucket as histogram_quantile does, over the difference of two scrapes', async () => {
    const m = createApiMetrics();
    for (let i = 0; i < 100; i++) m.turnSeconds.observe(0.3); // bucket (0.25, 0.5]
    const before = bucketsOf(parseSamples(await m.registry.metrics()), 'luna_api_turn_seconds');
    expect(quantile(0.5, before)).toBeCloseTo(0.375); // halfway through (0.25, 0.5]
    for (let i = 0; i < 100; i++) m.turnSeconds.observe(3); // bucket (2, 5]
    const after = bucketsOf(parseSamples(await m.registry.metrics()), 'luna_api_turn_seconds');
    const window = diffBuckets(after, before);
    expect(quantile(0.5, window)).toBeCloseTo(3.5);
    expect(quantile(0.99, window)).toBeCloseTo(4.97);
    expect(quantile(0.5, diffBuckets(after, after))).toBeNull();
    // a restarted process (counts went down) counts from zero rather than going negative
    expect(diffBuckets(before, after)).toEqual(before);
  });

  it('labels, escapes and +Inf parse; sums filter by label', () => {
    const s = parseSamples('# HELP x y\nluna_api_turns_total{outcome="done"} 7\nluna_api_turns_total{outcome="model_failed",note="a\\"b"} 2\nx_bucket{le="+Inf"} 9\n');
    expect(s[1]!.labels).toEqual({ outcome: 'model_failed', note: 'a"b' });
    expect(sumOf(s, 'luna_api_turns_total')).toBe(9);
    expect(sumOf(s, 'luna_api_turns_total', { outcome: 'done' })).toBe(7);
    expect(sumOf(s, 'nope')).toBeNull();
    expect(s[2]!.labels.le).toBe('+Inf');
  });

  it('the service window: rates per process, errors are server-side outcomes only, a restarted process skews nothing', () => {
    const w = new ServiceWindow(60_000);
    const scrape = (at: number, done: number, failed: number, cancelled = 0) => ({
      at, turnsByOutcome: { done, model_failed: failed, cancelled, budget_exceeded: 1 }, turnBuckets: [], ttftBuckets: [], inFlight: 0,
      inFlightByTier: {}, queuedByTier: {}, overloaded: 0, rateLimited: 0, sse: 0, costUsd: done * 0.01,
    });
    w.add('a', scrape(0, 100, 0));
    w.add('a', scrape(10_000, 120, 2, 5));
    w.add('b', scrape(0, 500, 0));
    w.add('b', scrape(10_000, 10, 0)); // b restarted: its counters start again
    const v = w.view([{ url: 'a', up: true, error: null, unreachableSince: null }, { url: 'b', up: true, error: null, unreachableSince: null }]);
    expect(v.finishedInWindow).toBe(22 + 11); // a: 20 done + 2 failed; b: 10 done + 1 budget refusal
    expect(v.errorsInWindow).toBe(2);
    expect(v.turnsPerSec).toBeCloseTo(2.7 + 1.1);
    expect(v.costUsdPerHour).toBeCloseTo(((0.2 + 0.1) * 3600) / 10);
  });

  it('a server that is not a luna api is named as such', async () => {
    const http = await import('node:http');
    const server = http.createServer((_q, r) => r.end('# nothing here\nother_metric 1\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await expect(scrapeApi(`http://127.0.0.1:${port}`, 2000)).rejects.toThrow(/exports no luna_api_\* metrics/);
    server.close();
  });
});
