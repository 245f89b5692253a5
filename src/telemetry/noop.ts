import type { CallAgent } from '../pipeline/deps.js';
import type { TurnEvent } from '../pipeline/events.js';
import type { Job } from '../store/types.js';
import type { Attributes, Span, StartOptions } from './span.js';
import type { SpanContext } from './trace-context.js';

/**
 * What the front ends get from tracing. The pipeline stays unaware of it: turns and stages come from the
 * TurnEvents the front ends already read, model calls from a wrapper around the injected `callAgent`, and
 * Dreamer jobs from the `traceJob` hook. When tracing is off every piece is a pass-through.
 */
export interface Telemetry {
  readonly enabled: boolean;
  /** Wraps the session's callAgent: each attempt (ledger row) becomes a span under the stage or job that made it. */
  wrapCallAgent(callAgent: CallAgent): CallAgent;
  /** For PipelineDeps.traceJob: a span around each Dreamer job, under the turn that queued it when that turn ran here. */
  traceJob?: (job: Job, run: () => Promise<void>) => Promise<void>;
  /** A turn's events, passed through unchanged, opening and closing the turn and stage spans as they go by. */
  traceTurn(events: AsyncIterable<TurnEvent>, opts?: { parent?: Span | SpanContext | null; attributes?: Attributes }): AsyncIterable<TurnEvent>;
  /** Any other span (the API's request spans). */
  startSpan(name: string, opts?: StartOptions): Span | null;
  /** Sends what is left and waits for it, at most the export timeout. */
  shutdown(): Promise<void>;
}

export const NOOP_TELEMETRY: Telemetry = {
  enabled: false,
  wrapCallAgent: (c) => c,
  traceTurn: (events) => events,
  startSpan: () => null,
  shutdown: async () => undefined,
};

