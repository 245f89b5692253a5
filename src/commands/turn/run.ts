import { debugLog, type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { restartWarning } from '../../cli/render-turn.js';
import { LunaError, UsageError } from '../../errors.js';
import type { TurnEvent } from '../../pipeline/events.js';
import { findStory } from '../../story/find.js';
import { terminalLine } from '../../util/terminal-text.js';
import { afterCommit, branchFrom, retryAction } from '../../story/ops.js';
import { retryAt } from '../../story/steer.js';
import type { TurnInput } from '../../pipeline/run-turn.js';
import { onStopSignals, SIGNAL_EXIT_CODES, type StopSignal } from '../../util/signals.js';
import type { TurnFlags } from './flags.js';

/** Plays one turn: a new action, --continue, --retry (of the head, or --at any turn), --from; with --note and --ooc. */
export async function run(ref: string, action: string, opts: TurnFlags, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store, loaded) => {
    const story = await findStory(store, ref);
    const steer = { note: opts.note, ooc: opts.ooc };
    let input: TurnInput;
    // Resolved before any model is set up: a wrong id fails fast.
    if (opts.retry && opts.at !== undefined) {
      // Another take of any turn: a sibling with its action and steering unless new ones are given.
      const r = await retryAt(store, story, opts.at);
      const continued = !action.trim() && r.continued;
      input = { storyId: story.id, action: continued ? '' : action.trim() || r.action, continue: continued, mode: 'from', fromTurnId: r.parentId, note: opts.note ?? r.note, ooc: opts.ooc ?? r.ooc };
    } else if (opts.retry && !action.trim()) {
      await retryAction(store, story); // a story without turns: "there is no turn to retry yet"
      const r = await retryAt(store, story, undefined);
      input = { storyId: story.id, action: r.continued ? '' : r.action, continue: r.continued, mode: 'retry', note: opts.note ?? r.note, ooc: opts.ooc ?? r.ooc };
    } else {
      // An out-of-character instruction alone is a turn that goes on, steered.
      const continued = Boolean(opts.continue) || (!action.trim() && opts.ooc !== undefined);
      if (!action.trim() && !continued) throw new UsageError('missing the action', { hint: `luna turn ${ref} "what your character does" (or --continue to let the story go on)` });
      const from = opts.from === undefined ? undefined : await branchFrom(store, story, opts.from);
      input = { storyId: story.id, action, continue: continued, mode: opts.retry ? 'retry' : opts.from !== undefined ? 'from' : 'continue', fromTurnId: from, ...steer };
    }
    const { createSession } = await import('../../runtime/session.js');
    // SIGINT, SIGTERM and SIGHUP all cancel the turn through its AbortSignal: the calls already made reach the
    // ledger, nothing half-written lands, and the exit code is 128 + the signal (130, 143, 129). A second signal
    // finds the default action back and ends the process at once.
    const controller = new AbortController();
    let stoppedBy: StopSignal | null = null;
    const offSignals = onStopSignals((signal) => {
      offSignals();
      stoppedBy = signal;
      controller.abort();
    });
    const stopped = (saved: string) => {
      const sig = stoppedBy!;
      return new LunaError(`stopped by ${sig}: ${saved}`, SIGNAL_EXIT_CODES[sig], { hint: 'calls already made are in the ledger (luna cost report)' });
    };
    const session = await createSession(store, loaded, { signal: controller.signal, debug: debugLog(g) });
    try {
      const { runTurn } = await import('../../pipeline/run-turn.js');
      const { renderPlain } = await import('../../cli/render-turn.js');
      const events = session.telemetry.traceTurn(runTurn(input, session.deps), { attributes: { 'luna.turn.mode': input.mode ?? 'continue', 'luna.front_end': 'turn' } });
      const last = g.json ? await collectJson(events) : await renderPlain(events, { quiet: Boolean(opts.quiet) });
      if (last?.type === 'error' && last.cancelled && stoppedBy) throw stopped('the turn was cancelled and the story is unchanged');
      if (last?.type === 'error') throw new LunaError(last.message, last.exitCode, { hint: last.cancelled ? 'your action was not played; run the same command to try again' : last.hint });
      if (last?.type === 'done' && last.jobsQueued > 0) {
        // The prose is already out: the jobs go to Redis now, or the in-process Dreamer runs them here.
        const r = await afterCommit(session.deps, loaded, { jobsQueued: last.jobsQueued, dream: opts.dream, workerId: `turn:${process.pid}` }).catch((err: unknown) => {
          if (stoppedBy) throw stopped(`the turn was saved; the Dreamer stopped and its job is queued again`);
          throw err;
        });
        const d = r.dreamer;
        if (d && !g.json && !opts.quiet && process.stderr.isTTY && d.done + d.failed + d.retried > 0) {
          process.stderr.write(`· dreamer: ${d.done} done${d.retried ? `, ${d.retried} to retry` : ''}${d.failed ? `, ${d.failed} failed` : ''}\n`);
          for (const img of await store.listTurnImages(story.id, { turnIds: [last.turn.id] })) process.stderr.write(`· picture: ${terminalLine(img.path)}\n`);
        }
      }
      if (stoppedBy) throw stopped('the turn was saved');
    } finally {
      offSignals();
      await session.close();
    }
  });
}

async function collectJson(events: AsyncIterable<TurnEvent>): Promise<TurnEvent | undefined> {
  let last: TurnEvent | undefined;
  let context: unknown = null;
  const costs: unknown[] = [];
  const warnings: string[] = [];
  for await (const e of events) {
    last = e;
    if (e.type === 'context-ready') context = e.context;
    if (e.type === 'cost') costs.push(e.call);
    if (e.type === 'warning') warnings.push(e.message);
    if (e.type === 'prose-restart') warnings.push(restartWarning(e.reason));
  }
  if (last?.type === 'done') {
    const { turn, plan, prose, entities, totals, jobsQueued } = last;
    const steering = { continued: turn.continued, note: turn.note, ooc: turn.ooc };
    printJson({ turn: { id: turn.id, storyId: turn.storyId, parentId: turn.parentId, depth: turn.depth, action: turn.action, ...steering }, plan, prose, entities, calls: costs, totals, context, jobsQueued, warnings });
  }
  return last;
}
