import { Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The API's Prometheus series; one registry per app so several apps (tests, benches) never collide. */
export function createApiMetrics() {
  const registry = new Registry();
  const r = [registry];
  return {
    registry,
    turns: new Counter({ name: 'luna_api_turns_total', help: 'Turns played through the API, by outcome (done, error, cancelled, busy, budget)', labelNames: ['outcome'], registers: r }),
    turnSeconds: new Histogram({ name: 'luna_api_turn_seconds', help: 'Turn latency from request to done', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 40, 80], registers: r }),
    ttftSeconds: new Histogram({ name: 'luna_api_ttft_seconds', help: 'Time from request to the first prose token', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20], registers: r }),
    tokens: new Counter({ name: 'luna_api_tokens_total', help: 'Model tokens of committed turns, by direction', labelNames: ['direction'], registers: r }),
    costUsd: new Counter({ name: 'luna_api_cost_usd_total', help: 'USD spent on committed turns (ledgered calls of failed turns excluded)', registers: r }),
    inFlight: new Gauge({ name: 'luna_api_turns_in_flight', help: 'Turns admitted and not finished (running or waiting for a slot)', registers: r }),
    queued: new Gauge({ name: 'luna_api_turns_queued', help: 'Turns waiting for a model slot, by account tier', labelNames: ['tier'], registers: r }),
    degraded: new Counter({ name: 'luna_api_turns_degraded_total', help: 'Turns that ran on their tier\'s degrade models instead of waiting, by tier', labelNames: ['tier'], registers: r }),
    // Split by the caller's account tier so an operator sees who holds the capacity (luna top, Grafana).
    inFlightByTier: new Gauge({ name: 'luna_api_turns_in_flight_by_tier', help: 'Turns admitted and not finished, by account tier', labelNames: ['tier'], registers: r }),
    turnsByTier: new Counter({ name: 'luna_api_tier_turns_total', help: 'Turns admitted, by account tier and outcome', labelNames: ['tier', 'outcome'], registers: r }),
    rateLimited: new Counter({ name: 'luna_api_rate_limited_total', help: 'Requests refused by the per-key rate limit', registers: r }),
    overloaded: new Counter({ name: 'luna_api_overloaded_total', help: 'Turns refused by admission control (503)', registers: r }),
    sseConnections: new Gauge({ name: 'luna_api_sse_connections', help: 'Open SSE streams', registers: r }),
  };
}

export type ApiMetrics = ReturnType<typeof createApiMetrics>;
