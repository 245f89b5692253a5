import type { TurnEvent } from '../pipeline/events.js';
import { cellWidth, terminalLine, terminalTextStream } from '../util/terminal-text.js';
import { describeContextSize } from './context-size.js';
import { formatDuration, formatUsd } from './output.js';

/**
 * The warning for a `prose-restart` event. Its reason reads "MODEL: WHY" (src/runtime/session.ts), MODEL being the
 * model that starts over; WHY can be empty (when the restart moves on to a fallback model the router does not pass
 * the failure on), and then the warning names the model alone rather than printing an empty "()".
 */
export function restartWarning(reason: string): string {
  const m = /^([^:\s][^:]*):\s*([\s\S]*)$/.exec(reason);
  const model = m?.[1]?.trim() ?? '';
  const why = (m ? m[2]! : reason).trim();
  return `the Writer's stream broke${why ? ` (${why})` : ''}; it starts over${model ? ` on ${model}` : ''} and its partial prose is discarded`;
}

/** Rows the cursor moved down while `text` was written from column `col` on a terminal `cols` wide (auto-wrap on). */
export function advance(text: string, col: number, cols: number): { rows: number; col: number } {
  let rows = 0;
  for (const ch of text) {
    if (ch === '\n') {
      rows++;
      col = 0;
      continue;
    }
    const w = ch === '\t' ? 8 - (col % 8) : cellWidth(ch);
    if (col + w > cols) {
      rows++;
      col = ch === '\t' ? 0 : w;
    } else col += w;
  }
  return { rows, col };
}

/**
 * Plain renderer for `luna turn`: prose to stdout, progress and totals to stderr (only on a terminal, so piping
 * stdout gives just the story). Warnings (a soft budget limit, a fallback) go to stderr even when it is not a
 * terminal: they are the turn's log, and only --quiet drops them. Every text from the story or a model passes
 * through src/util/terminal-text.ts, so escape sequences in it show as text instead of acting on the terminal.
 *
 * A Writer that fails mid-stream starts over (on the same model or a fallback), and its partial prose must not
 * stay in the output. On a terminal the prose streams and a restart erases it (the rows it took, as far as they
 * are still on the screen). A pipe cannot take bytes back, so there the prose is held until the turn is saved and
 * written once: whatever reads the pipe gets exactly the saved turn's prose, or nothing when the turn failed.
 */
export async function renderPlain(events: AsyncIterable<TurnEvent>, opts: { quiet: boolean }): Promise<TurnEvent | undefined> {
  const out = process.stdout;
  const tty = Boolean(out.isTTY);
  const info = !opts.quiet && process.stderr.isTTY;
  const err = (s: string) => info && process.stderr.write(s);
  const warn = (s: string) => !opts.quiet && process.stderr.write(s);
  let prose = terminalTextStream();
  let held = '';
  // On a terminal: the rows the prose has taken so far, and the column it ends in.
  let at = { rows: 0, col: 0 };
  let wrote = false;
  const show = (text: string) => {
    if (!text) return;
    wrote = true;
    if (!tty) return void (held += text);
    const moved = advance(text, at.col, out.columns || 80);
    at = { rows: at.rows + moved.rows, col: moved.col };
    out.write(text);
  };
  const discard = () => {
    prose = terminalTextStream();
    held = '';
    if (tty && wrote) {
      // Up to the first prose row still on the screen, then clear to the end of the screen.
      const up = Math.min(at.rows, Math.max(0, (out.rows || 24) - 1));
      out.write(`\r${up > 0 ? `\x1b[${up}A` : ''}\x1b[J`);
    }
    at = { rows: 0, col: 0 };
    wrote = false;
  };
  const finish = () => {
    show(prose.end());
    if (!tty && held) out.write(held);
    if (wrote) out.write('\n');
  };
  let last: TurnEvent | undefined;
  for await (const e of events) {
    last = e;
    switch (e.type) {
      case 'context-ready':
        err(`· ${describeContextSize(e.context.totalTokens, e.context.historyTokens)}, ${formatDuration(e.context.ms)}\n`);
        break;
      case 'plan-ready':
        err(`· plan: ${terminalLine(e.plan.intent)}${e.repaired ? ' (repaired)' : ''}\n`);
        break;
      case 'prose-token':
        show(prose.push(e.text));
        break;
      case 'prose-restart':
        discard();
        warn(`· warning: ${terminalLine(restartWarning(e.reason))}\n`);
        break;
      case 'warning':
        warn(`· warning: ${terminalLine(e.message)}\n`);
        break;
      case 'done': {
        finish();
        const t = e.totals;
        err(`· turn ${e.turn.depth} saved (${e.turn.id}) — ${formatDuration(t.latencyMs)}, ${t.inputTokens} in / ${t.outputTokens} out tokens, ${formatUsd(t.costUsd)}${t.unpricedCalls ? ` (+${t.unpricedCalls} unpriced)` : ''}\n`);
        break;
      }
      case 'error':
        // The turn was not saved: a terminal keeps what it showed, a pipe gets none of it.
        if (tty && wrote) out.write('\n');
        break;
      default:
        break;
    }
  }
  return last;
}
