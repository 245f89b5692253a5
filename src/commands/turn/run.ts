import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { LunaError, UsageError } from '../../errors.js';
import type { TurnEvent } from '../../pipeline/events.js';
import { findTurn } from '../../story/branches.js';
import { findStory } from '../../story/find.js';
import type { Store, Story } from '../../store/types.js';

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
    if (!action.trim() && opts.retry) action = await headAction(store, story.headTurnId, ref);
    if (!action.trim()) throw new UsageError('missing the action', { hint: `luna turn ${ref} "what your character does"` });
    // Resolved before any model is set up: a wrong id fails fast.
    const from = opts.from === undefined ? undefined : ((await findTurn(store, story, opts.from))?.id ?? null);
    const { createSession } = await import('../../runtime/session.js');
    const controller = new AbortController();
    const onSigint = () => controller.abort();
    process.once('SIGINT', onSigint);
    const session = await createSession(store, loaded, { signal: controller.signal });
    try {
      const { runTurn } = await import('../../pipeline/run-turn.js');
      const { renderPlain } = await import('../../cli/render-turn.js');
      const events = runTurn({ storyId: story.id, action, mode: opts.retry ? 'retry' : opts.from !== undefined ? 'from' : 'continue', fromTurnId: from }, session.deps);
      const last = g.json ? await collectJson(events) : await renderPlain(events, { quiet: Boolean(opts.quiet) });
      if (last?.type === 'error') throw new LunaError(last.message, last.exitCode, { hint: last.cancelled ? 'your action was not played; run the same command to try again' : last.hint });
      if (last?.type === 'done' && last.jobsQueued > 0 && loaded.config.queue !== 'store' && !(opts.dream !== false && loaded.config.agents.dreamer.inProcess)) {
        // Hand the new jobs to the Redis queue now rather than on the workers' next relay.
        await (await import('../../queue/open.js')).relayAfterCommit(loaded.config.queue, store).catch(() => 0);
      }
      if (last?.type === 'done' && last.jobsQueued > 0 && opts.dream !== false && loaded.config.agents.dreamer.inProcess && !controller.signal.aborted) {
        // The prose is already out; enrichment runs after it, off the turn's critical path.
        const { drainJobs } = await import('../../pipeline/dreamer.js');
        const r = await drainJobs(session.deps, { workerId: `turn:${process.pid}` });
        if (!g.json && !opts.quiet && process.stderr.isTTY && r.done + r.failed + r.retried > 0) {
          process.stderr.write(`· dreamer: ${r.done} done${r.retried ? `, ${r.retried} to retry` : ''}${r.failed ? `, ${r.failed} failed` : ''}\n`);
        }
      }
    } finally {
      process.off('SIGINT', onSigint);
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
  }
  if (last?.type === 'done') {
    const { turn, plan, prose, entities, totals, jobsQueued } = last;
    printJson({ turn: { id: turn.id, storyId: turn.storyId, parentId: turn.parentId, depth: turn.depth, action: turn.action }, plan, prose, entities, calls: costs, totals, context, jobsQueued, warnings });
  }
  return last;
}

/** A bare --retry is another take of the same action, as the TUI's /retry is. */
async function headAction(store: Store, head: string | null, ref: string): Promise<string> {
  const turn = head ? await store.getTurn(head) : null;
  if (!turn) throw new UsageError('there is no turn to retry yet', { hint: `play a first turn: luna turn ${ref} "what your character does"` });
  return turn.action;
}

async function moveHead(store: Store, story: Story, opts: TurnOpts, g: GlobalOptions): Promise<void> {
  const storyId = story.id;
  const head = story.headTurnId;
  let target: string | null;
  if (opts.undo) {
    if (!head) throw new UsageError('nothing to undo: the story has no turns yet');
    target = (await store.getTurn(head))?.parentId ?? null;
  } else {
    target = (await findTurn(store, story, opts.to ?? 'root'))?.id ?? null;
  }
  await store.setHead(storyId, target, head);
  const turn = target ? await store.getTurn(target) : null;
  if (g.json) return printJson({ storyId, headTurnId: target, depth: turn?.depth ?? 0 });
  process.stdout.write(target ? `story head is now turn ${turn?.depth} (${target})\n` : 'story head is now the start (no turns on this branch)\n');
}
