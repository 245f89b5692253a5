import { redactSecrets } from '../errors.js';
import type { Stage, TurnEvent } from '../pipeline/events.js';
import type { Attributes, Span, StartOptions } from './span.js';
import type { SpanContext } from './trace-context.js';

/** What the turn subscriber needs from the telemetry that made it. */
export interface TurnScope {
  startSpan(name: string, opts?: StartOptions): Span;
  /** The turn committed: Dreamer jobs it queued run under its span. */
  remember(turnId: string, ctx: SpanContext): void;
  /** Runs `fn` with `parentFor` answering "which span does a model call of this agent belong to". */
  run<T>(parentFor: (agent: string) => Span | null, fn: () => T): T;
}

const STAGE_OF_AGENT: Record<string, Stage> = { strategist: 'strategist', writer: 'writer' };

/**
 * The turn span and one span per stage, from the events runTurn yields (the same events every renderer reads),
 * passed through unchanged. Each step of the inner generator runs inside the turn's call scope, so the model
 * calls it makes (through the wrapped callAgent) land under the stage that is open. Totals, the context size and
 * the outcome go on the turn span; warnings and Writer restarts become span events.
 */
export function traceTurnEvents(events: AsyncIterable<TurnEvent>, t: TurnScope, o: { parent?: Span | SpanContext | null; attributes?: Attributes }): AsyncIterableIterator<TurnEvent> {
  // A hand-written iterator, not an async generator: a generator layer costs a few promise hops per event, and a
  // turn streams hundreds of prose tokens (measured: +2-3 ms a turn on the 2-core machine for a bare pass-through).
  let turn: Span | null = null;
  let it: AsyncIterator<TurnEvent> | null = null;
  let closed = false;
  const stages = new Map<Stage, Span>();
  const parentFor = (agent: string): Span | null => {
    const stage = STAGE_OF_AGENT[agent];
    return (stage ? stages.get(stage) : undefined) ?? turn;
  };
  const close = () => {
    if (closed) return;
    closed = true;
    for (const s of stages.values()) s.end();
    turn?.end();
  };
  const self: AsyncIterableIterator<TurnEvent> = {
    [Symbol.asyncIterator]: () => self,
    next() {
      if (closed) return Promise.resolve({ done: true, value: undefined });
      turn ??= t.startSpan('luna.turn', { parent: o.parent ?? null, attributes: o.attributes });
      const inner = (it ??= events[Symbol.asyncIterator]());
      return t.run(parentFor, () => inner.next()).then(
        (r) => {
          if (r.done) close();
          else observe(turn!, r.value);
          return r;
        },
        (err: unknown) => {
          turn!.fail(redactSecrets(err instanceof Error ? err.message : String(err)));
          close();
          throw err;
        },
      );
    },
    // The reader stopped early (a thrown renderer, a closed connection): close the inner generator too.
    async return() {
      if (!closed) {
        await it?.return?.().catch(() => undefined);
        close();
      }
      return { done: true, value: undefined };
    },
  };
  return self;

  function observe(turn: Span, e: TurnEvent): void {
    switch (e.type) {
      case 'turn-started':
        turn.set({ 'luna.story.id': e.storyId, 'luna.turn.parent_id': e.parentId ?? 'root' });
        break;
      case 'stage-started':
        stages.get(e.stage)?.end();
        stages.set(e.stage, t.startSpan(`luna.${e.stage}`, { parent: turn, attributes: { 'luna.stage': e.stage } }));
        break;
      case 'stage-finished':
        stages.get(e.stage)?.end();
        stages.delete(e.stage);
        break;
      case 'context-ready':
        turn.set({ 'luna.context.tokens': e.context.totalTokens, 'luna.context.budget_tokens': e.context.budgetTokens, 'luna.context.history_tokens': e.context.historyTokens, 'luna.context.compression': e.context.compression });
        break;
      case 'plan-ready':
        turn.set({ 'luna.plan.repaired': e.repaired });
        break;
      case 'warning':
        turn.event('luna.warning', { message: redactSecrets(e.message) });
        break;
      case 'prose-restart':
        turn.event('luna.writer.restart', { reason: redactSecrets(e.reason) });
        break;
      case 'done': {
        const x = e.totals;
        turn.set({
          'luna.turn.id': e.turn.id,
          'luna.turn.depth': e.turn.depth,
          'luna.turn.cost_usd': x.costUsd,
          'luna.turn.unpriced_calls': x.unpricedCalls,
          'luna.turn.input_tokens': x.inputTokens,
          'luna.turn.output_tokens': x.outputTokens,
          'luna.turn.ttft_ms': x.ttftMs === null ? null : Math.round(x.ttftMs),
          'luna.turn.jobs_queued': e.jobsQueued,
        });
        t.remember(e.turn.id, turn.context);
        break;
      }
      case 'error':
        turn.set({ 'luna.error.exit_code': e.exitCode, 'luna.turn.cancelled': e.cancelled });
        // A cancelled turn (the player stopped it, the client went away) is not a fault, as `luna top` counts
        // it; a failure marks the turn and the stage that was running.
        if (e.cancelled) break;
        for (const s of stages.values()) s.fail(redactSecrets(e.message));
        turn.fail(redactSecrets(e.message));
        break;
      case 'entity-update':
      case 'prose-token':
      case 'cost':
        break;
      default: {
        const never: never = e;
        void never;
      }
    }
  }
}
