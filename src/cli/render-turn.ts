import type { TurnEvent } from '../pipeline/events.js';
import { describeContextSize } from './context-size.js';
import { formatDuration, formatUsd } from './output.js';

/**
 * Plain renderer for `luna turn`: prose to stdout as it streams, progress and totals to stderr (only on a
 * terminal, so piping stdout gives just the story). Warnings (a soft budget limit, a fallback) go to stderr
 * even when it is not a terminal: they are the turn's log, and only --quiet drops them.
 */
export async function renderPlain(events: AsyncIterable<TurnEvent>, opts: { quiet: boolean }): Promise<TurnEvent | undefined> {
  const info = !opts.quiet && process.stderr.isTTY;
  const err = (s: string) => info && process.stderr.write(s);
  const warn = (s: string) => !opts.quiet && process.stderr.write(s);
  let last: TurnEvent | undefined;
  let wrote = false;
  for await (const e of events) {
    last = e;
    switch (e.type) {
      case 'context-ready':
        err(`· ${describeContextSize(e.context.totalTokens, e.context.historyTokens)}, ${formatDuration(e.context.ms)}\n`);
        break;
      case 'plan-ready':
        err(`· plan: ${e.plan.intent}${e.repaired ? ' (repaired)' : ''}\n`);
        break;
      case 'prose-token':
        process.stdout.write(e.text);
        wrote = true;
        break;
      case 'prose-restart':
        if (wrote) process.stdout.write('\n');
        warn(`· warning: the writer's stream broke and it started over (same model or a fallback): ${e.reason}\n`);
        break;
      case 'warning':
        warn(`· warning: ${e.message}\n`);
        break;
      case 'done': {
        if (wrote) process.stdout.write('\n');
        const t = e.totals;
        err(`· turn ${e.turn.depth} saved (${e.turn.id}) — ${formatDuration(t.latencyMs)}, ${t.inputTokens} in / ${t.outputTokens} out tokens, ${formatUsd(t.costUsd)}${t.unpricedCalls ? ` (+${t.unpricedCalls} unpriced)` : ''}\n`);
        break;
      }
      case 'error':
        if (wrote) process.stdout.write('\n');
        break;
      default:
        break;
    }
  }
  return last;
}
