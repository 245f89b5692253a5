import { debugLog, type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { restartWarning } from '../../cli/render-turn.js';
import { LunaError, UsageError } from '../../errors.js';
import type { TurnEvent } from '../../pipeline/events.js';
import { findStory } from '../../story/find.js';
import { afterCommit, branchFrom, retryAction, switchHead, undo } from '../../story/ops.js';
import type { Store, Story } from '../../store/types.js';
import { onStopSignals, SIGNAL_EXIT_CODES, type StopSignal } from '../../util/signals.js';

interface TurnOpts {
  undo?: boolean;
  retry?: boolean;
  from?: string;
  to?: string;
  quiet?: boolean;
  /** false with --no-dream: leave queued Dreamer jobs to `luna dream` workers. */
  dream?: boolean;
}

export async function run(ref: string, action: string, opts: TurnOpts, g: GlobalOptions): Promise<void> {
  const modes = [opts.undo, opts.retry, opts.from !== undefined, opts.to !== undefined].filter(Boolean).length;
  if (modes > 1) throw new UsageError('use only one of --undo, --retry, --from, --to');
  await withStore(g, async (store, loaded) => {
    const story = await findStory(store, ref);
    if (opts.undo || opts.to !== undefined) return await moveHead(store, story, opts, g);
    if (!action.trim() && opts.retry) action = await retryAction(store, story);
    if (!action.trim()) throw new UsageError('missing the action', { hint: `luna turn ${ref} "what your character does"` });
    // Resolved before any model is set up: a wrong id fails fast.
    const from = opts.from === undefined ? undefined : await branchFrom(store, story, opts.from);
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
      const mode = opts.retry ? 'retry' : opts.from !== undefined ? 'from' : 'continue';
      const events = session.telemetry.traceTurn(runTurn({ storyId: story.id, action, mode, fromTurnId: from }, session.deps), { attributes: { 'luna.turn.mode': mode, 'luna.front_end': 'turn' } });
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
    printJson({ turn: { id: turn.id, storyId: turn.storyId, parentId: turn.parentId, depth: turn.depth, action: turn.action }, plan, prose, entities, calls: costs, totals, context, jobsQueued, warnings });
  }
  return last;
}

async function moveHead(store: Store, story: Story, opts: TurnOpts, g: GlobalOptions): Promise<void> {
  const storyId = story.id;
  const target = opts.undo ? ((await undo(store, story)).head?.id ?? null) : ((await switchHead(store, story, opts.to ?? 'root'))?.id ?? null);
  const turn = target ? await store.getTurn(target) : null;
  if (g.json) return printJson({ storyId, headTurnId: target, depth: turn?.depth ?? 0 });
  process.stdout.write(target ? `story head is now turn ${turn?.depth} (${target})\n` : 'story head is now the start (no turns on this branch)\n');
}
