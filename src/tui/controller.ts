import type { Dispatch } from 'react';
import type { LoadedConfig } from '../config/load.js';
import { isAbortError, redactSecrets } from '../errors.js';
import type { TurnEvent } from '../pipeline/events.js';
import type { Session } from '../runtime/session.js';
import type { Store, Story, Turn } from '../store/types.js';
import { terminalLine } from '../util/terminal-text.js';
import { afterCommit } from '../story/ops.js';
import { steeringActions } from './controller-steer.js';
import type { ShownTurn, TuiAction } from './state.js';
import { currentArc } from './views.js';

/**
 * Drives the pipeline for the TUI: runs turns with their own AbortController, coalesces prose tokens
 * (at most one UI update per `flushMs`) and runs the in-process Dreamer in the background.
 * It holds no view state of its own: everything it learns goes through `dispatch` into the reducer.
 */
export interface PlayControllerOptions {
  store: Store;
  loaded: LoadedConfig;
  session: Session;
  dispatch: Dispatch<TuiAction>;
  flushMs?: number;
  /** Turns loaded per page of scrollback. */
  pageTurns?: number;
  /** When the session began, for its spend (default: now, as the app's /cost panel counts it). */
  sessionStart?: Date;
}

/** How a TUI turn is steered beyond its action (see TurnInput). */
export interface PlaySteering {
  continue?: boolean;
  note?: string;
  ooc?: string;
  /** A retake of an earlier turn: the new turn's parent (null = the start). */
  fromTurnId?: string | null;
}

export const toShown = (t: Turn): ShownTurn => ({ id: t.id, depth: t.depth, action: t.action, prose: t.prose });

export function createPlayController(opts: PlayControllerOptions) {
  const { store, loaded, session, dispatch } = opts;
  const sessionSince = (opts.sessionStart ?? new Date()).toISOString();
  const flushMs = opts.flushMs ?? 30;
  // One screen holds a few turns; a small first page keeps the first frame fast, older pages load on scroll-up.
  const page = opts.pageTurns ?? 25;
  let story: Story | null = null;
  let loadedTurns = 0;
  let turnCtrl: AbortController | null = null;
  let running: Promise<void> | null = null;
  // True from an accepted action until its turn's events end. The bookkeeping after a turn (reload the
  // story, kick the Dreamer, count the queue) is not "busy": the screen already shows the turn as done, so
  // an action typed then waits for it instead of being refused.
  let inTurn = false;
  const dreamerCtrl = new AbortController();
  let dreaming: Promise<void> | null = null;
  let closed = false;

  const refreshStory = async (): Promise<Story> => {
    const s = await store.getStory(story!.id);
    if (!s) throw new Error('the story was deleted');
    story = s;
    return s;
  };

  const loadStory = async (id: string): Promise<Story> => {
    const s = await store.getStory(id);
    if (!s) throw new Error(`no story ${id}`);
    story = s;
    const turns = await store.getBranch(s.id, s.headTurnId, { limit: page });
    const depth = turns.at(-1)?.depth ?? 0;
    loadedTurns = turns.length;
    dispatch({ type: 'story-loaded', story: { id: s.id, title: s.title, premise: s.premise }, turns: turns.map(toShown), earlier: Math.max(0, depth - turns.length), arc: null });
    void currentArc(store, s).then((arc) => dispatch({ type: 'arc', arc }), () => undefined);
    void refreshQueue();
    return s;
  };

  const loadEarlier = async (): Promise<void> => {
    if (!story) return;
    const want = loadedTurns + page;
    const turns = await store.getBranch(story.id, story.headTurnId, { limit: want });
    const older = turns.slice(0, Math.max(0, turns.length - loadedTurns));
    loadedTurns = turns.length;
    if (older.length) dispatch({ type: 'earlier-loaded', turns: older.map(toShown), earlier: Math.max(0, (older[0]?.depth ?? 1) - 1) });
  };

  const refreshQueue = async (): Promise<void> => {
    if (!story) return;
    const c = await store.jobCounts(story.id).catch(() => null);
    dispatch({ type: 'queue', depth: c ? c.queued + c.running : null });
    await Promise.all([refreshBudget(), refreshSpend()]);
  };

  /**
   * The status bar's session spend, from the ledger as /cost and `luna cost report` read it: the turn events
   * alone miss the Dreamer's calls, which run after the turn.
   */
  const refreshSpend = async (): Promise<void> => {
    if (!story) return;
    const [agg] = await store.aggregateCalls([], { storyId: story.id, since: sessionSince }).catch(() => []);
    if (agg) dispatch({ type: 'session-spend', costUsd: agg.costUsd, inputTokens: agg.inputTokens, outputTokens: agg.outputTokens, unpricedCalls: agg.unpricedCalls });
  };

  /** Soft limits only warn (here and in the status bar); hard limits also make the pipeline refuse turns. */
  const refreshBudget = async (): Promise<void> => {
    if (!story) return;
    const { budgetStatus } = await import('../cost/guard.js');
    const b = await budgetStatus(store, loaded.config, story.accountId).catch(() => null);
    // A budget that cannot count everything (unpriced calls, an undefined tier) warns like a soft limit.
    dispatch({ type: 'budget', budget: b && b.messages.length ? { level: b.level === 'hard' ? 'hard' : 'soft', message: b.messages.join('; ') } : null });
  };

  // A picture the Dreamer just rendered: named in the story pane (the path works on any terminal).
  const announcePicture = async (turnId: string): Promise<void> => {
    if (!story || closed) return;
    const images = await store.listTurnImages(story.id, { turnIds: [turnId] }).catch(() => []);
    const first = images[0];
    if (!first || closed) return;
    dispatch({ type: 'notice', notice: { level: 'info', text: `picture for turn ${first.depth}: ${terminalLine(first.path)}${images.length > 1 ? ` (+${images.length - 1})` : ''} — /image shows it` } });
  };

  const startDreamer = () => {
    if (!loaded.config.agents.dreamer.inProcess || dreaming || closed) return;
    dispatch({ type: 'queue', depth: null, running: true });
    dreaming = (async () => {
      const { drainJobs } = await import('../pipeline/dreamer.js');
      try {
        await drainJobs({ ...session.deps, signal: dreamerCtrl.signal }, {
          workerId: `tui-${process.pid}`,
          onJob: (job, outcome) => {
            void refreshQueue();
            if (job.kind === 'image-prompt' && outcome === 'done' && job.turnId) void announcePicture(job.turnId);
          },
        });
      } catch (err) {
        if (!isAbortError(err)) dispatch({ type: 'notice', notice: { level: 'warning', text: `Dreamer: ${redactSecrets((err as Error).message)}` } });
      } finally {
        dreaming = null;
        if (!closed) {
          dispatch({ type: 'queue', depth: null, running: false });
          await refreshQueue();
          if (story) void currentArc(store, story).then((arc) => dispatch({ type: 'arc', arc }), () => undefined);
        }
      }
    })();
  };

  /** Feeds one turn's events to the reducer, batching prose tokens. Resolves with the last event. */
  const pump = async (events: AsyncIterable<TurnEvent>): Promise<TurnEvent | undefined> => {
    let buf = '';
    let timer: NodeJS.Timeout | null = null;
    const flush = () => {
      if (timer) clearTimeout(timer);
      timer = null;
      if (buf) dispatch({ type: 'prose', text: buf });
      buf = '';
    };
    let last: TurnEvent | undefined;
    for await (const e of events) {
      last = e;
      if (e.type === 'prose-token') {
        buf += e.text;
        timer ??= setTimeout(flush, flushMs);
        continue;
      }
      flush();
      dispatch({ type: 'turn-event', event: e });
    }
    flush();
    return last;
  };

  /** Settles once the previous turn's bookkeeping is done (at once when there is none). */
  const settled = async (): Promise<void> => {
    while (running) await running.catch(() => undefined);
  };

  const play = (action: string, mode: 'continue' | 'retry' = 'continue', steer: PlaySteering = {}): Promise<void> => {
    if (!story || inTurn) return running ?? Promise.resolve();
    inTurn = true;
    if (running) return settled().then(() => start(action, mode, steer));
    return start(action, mode, steer);
  };

  const start = (action: string, mode: 'continue' | 'retry', steer: PlaySteering): Promise<void> => {
    const storyId = story!.id;
    const ctrl = new AbortController();
    turnCtrl = ctrl;
    dispatch({ type: 'turn-starting', action, mode });
    running = (async () => {
      try {
        const { runTurn } = await import('../pipeline/run-turn.js');
        const input = steer.fromTurnId !== undefined ? { mode: 'from' as const, fromTurnId: steer.fromTurnId } : { mode };
        const last = await pump(session.telemetry.traceTurn(runTurn({ storyId, action, ...input, continue: steer.continue, note: steer.note, ooc: steer.ooc }, { ...session.deps, signal: ctrl.signal }), { attributes: { 'luna.turn.mode': input.mode, 'luna.front_end': 'play' } }));
        inTurn = false;
        turnCtrl = null;
        await refreshStory();
        // A retake of an earlier turn lands on another branch: show that branch whole.
        if (last?.type === 'done' && steer.fromTurnId !== undefined) await loadStory(storyId);
        if (last?.type === 'done') {
          loadedTurns++;
          // As after `luna turn`: the in-process Dreamer runs here, in the background; otherwise the jobs go
          // to the configured queue now (Redis workers would only see them at their next relay).
          if (loaded.config.agents.dreamer.inProcess) startDreamer();
          else if (last.jobsQueued > 0) await afterCommit(session.deps, loaded, { jobsQueued: last.jobsQueued, dream: false, workerId: `tui-${process.pid}` }).catch(() => undefined);
        }
        await refreshQueue();
      } catch (err) {
        dispatch({ type: 'notice', notice: { level: 'error', text: redactSecrets((err as Error).message) } });
      } finally {
        inTurn = false;
        turnCtrl = null;
        running = null;
      }
    })();
    return running;
  };

  const steering = steeringActions({ store, loaded, dispatch, story: () => story, settled, refreshStory, loadStory, play, startDreamer });

  return {
    get story(): Story | null {
      return story;
    },
    /** A turn is streaming (or an accepted action is about to start one). */
    get busy(): boolean {
      return inTurn;
    },
    loadStory,
    loadEarlier,
    refreshQueue,
    play,
    ...steering,
    cancel(): boolean {
      if (!turnCtrl) return false;
      turnCtrl.abort();
      return true;
    },
    /** Cancels the turn and the Dreamer and waits for both to stop (nothing half-written). */
    async close(): Promise<void> {
      closed = true;
      turnCtrl?.abort();
      dreamerCtrl.abort();
      await Promise.allSettled([running, dreaming]);
    },
    async whenIdle(): Promise<void> {
      await Promise.allSettled([running, dreaming]);
    },
  };
}

export type PlayController = ReturnType<typeof createPlayController>;
