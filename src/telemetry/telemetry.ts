import { AsyncLocalStorage } from 'node:async_hooks';
import { hostname } from 'node:os';
import { redactSecrets } from '../errors.js';
import type { LedgerCall } from '../pipeline/deps.js';
import { OtlpHttpExporter } from './exporter.js';
import { Span, nowMs, type StartOptions } from './span.js';
import type { TelemetrySettings } from './settings.js';
import type { SpanContext } from './trace-context.js';
import type { Telemetry } from './noop.js';
import { traceTurnEvents, type TurnScope } from './turn-spans.js';

/** Who is making a model call right now: set around each turn step and each job, read by the callAgent wrapper. */
export interface CallScope {
  parentFor(agent: string): Span | null;
}

export type { Telemetry } from './noop.js';

export function createTelemetry(settings: TelemetrySettings, opts: { version: string; debug?: (message: string) => void }): Telemetry {
  const resource = { ...settings.resource, 'service.name': settings.serviceName, 'service.version': opts.version, 'telemetry.sdk.name': 'luna', 'telemetry.sdk.language': 'nodejs', 'telemetry.sdk.version': opts.version, 'host.name': hostname(), 'process.pid': process.pid };
  const exporter = new OtlpHttpExporter({ settings, resource, scope: { name: 'luna', version: opts.version }, debug: opts.debug });
  const scope = new AsyncLocalStorage<CallScope>();
  // Turns that ran in this process, so the jobs they queued join their trace (bounded: a long-lived API forgets).
  const turns = new Map<string, SpanContext>();
  const rememberTurn = (turnId: string, ctx: SpanContext) => {
    turns.set(turnId, ctx);
    if (turns.size > 1000) turns.delete(turns.keys().next().value!);
  };
  const startSpan = (name: string, o: StartOptions = {}): Span => {
    const span: Span = new Span(name, o, (data) => exporter.ended(span.context.traceId, data));
    exporter.started(span.context.traceId);
    return span;
  };

  const callSpans = (agent: string, parent: Span | null, calls: LedgerCall[], startMs: number, endMs: number, error?: unknown) => {
    // The router records each attempt's latency, not its start: the first attempt began with the call and the
    // last ended with it; one in between is placed after the one before (a retry's backoff is not shown).
    let at = startMs;
    calls.forEach((c, i) => {
      const last = i === calls.length - 1;
      const s = last ? Math.max(at, endMs - c.latencyMs) : at;
      const e = last ? endMs : Math.min(endMs, s + c.latencyMs);
      const span = startSpan(`chat ${c.model}`, { kind: 'client', parent, startMs: s });
      span.set({
        'gen_ai.operation.name': 'chat',
        'gen_ai.system': c.provider,
        'gen_ai.request.model': c.model,
        'gen_ai.usage.input_tokens': c.inputTokens,
        'gen_ai.usage.output_tokens': c.outputTokens,
        'luna.agent': agent,
        'luna.call.outcome': c.outcome,
        'luna.cost_usd': c.costUsd,
        'luna.tokens.cached': c.cachedTokens,
        'luna.tokens.estimated': c.estimated,
        'luna.latency_ms': c.latencyMs,
        'luna.ttft_ms': c.ttftMs,
      });
      if (c.outcome === 'failed') span.fail(last && error instanceof Error ? redactSecrets(error.message).slice(0, 500) : 'the attempt failed');
      span.end(e);
      at = e;
    });
  };

  return {
    enabled: true,
    wrapCallAgent: (inner) => async (agent, req, o) => {
      const parent = scope.getStore()?.parentFor(agent) ?? null;
      if (!parent) return inner(agent, req, o);
      const t0 = nowMs();
      try {
        const res = await inner(agent, req, o);
        callSpans(agent, parent, res.calls, t0, nowMs());
        return res;
      } catch (err) {
        const calls = (err as { calls?: LedgerCall[] } | null)?.calls;
        if (Array.isArray(calls)) callSpans(agent, parent, calls, t0, nowMs(), err);
        throw err;
      }
    },
    traceJob: async (job, run) => {
      const parent = job.turnId ? turns.get(job.turnId) : undefined;
      const span = startSpan(`luna.dreamer.${job.kind}`, {
        parent,
        attributes: { 'luna.job.id': job.id, 'luna.job.kind': job.kind, 'luna.job.attempt': job.attempts, 'luna.story.id': job.storyId, 'luna.turn.id': job.turnId },
      });
      try {
        await scope.run({ parentFor: () => span }, run);
      } catch (err) {
        span.fail(redactSecrets(err instanceof Error ? err.message : String(err)).slice(0, 500));
        throw err;
      } finally {
        span.end();
      }
    },
    traceTurn: (events, o = {}) => {
      const turnScope: TurnScope = { startSpan, remember: rememberTurn, run: (parentFor, fn) => scope.run({ parentFor }, fn) };
      return traceTurnEvents(events, turnScope, o);
    },
    startSpan,
    shutdown: () => exporter.shutdown(),
  };
}
