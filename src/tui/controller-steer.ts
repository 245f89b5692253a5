import type { Dispatch } from 'react';
import type { LoadedConfig } from '../config/load.js';
import { retryAction, switchHead, undo } from '../story/ops.js';
import { editConsequences, editProse, retryAt, switchTake } from '../story/steer.js';
import type { Store, Story } from '../store/types.js';
import type { PlaySteering } from './controller.js';
import type { TuiAction } from './state.js';

/** What the steering actions use of the play controller. */
export interface SteeringContext {
  store: Store;
  loaded: LoadedConfig;
  dispatch: Dispatch<TuiAction>;
  story(): Story | null;
  settled(): Promise<void>;
  refreshStory(): Promise<Story>;
  loadStory(id: string): Promise<Story>;
  play(action: string, mode?: 'continue' | 'retry', steer?: PlaySteering): Promise<void>;
  startDreamer(): void;
}

/**
 * The play controller's actions on the story tree (retakes, edits, take switches, undo, branch moves): each
 * waits for the turn in progress to settle, acts through src/story, reloads the branch and says what changed.
 */
export function steeringActions(c: SteeringContext) {
  const actions = {
    /** Another take of the head turn (a sibling branch). */
    async retry(): Promise<void> {
      if (!c.story()) return;
      await c.settled();
      const s = await c.refreshStory();
      const action = await retryAction(c.store, s).catch((err: Error) => {
        c.dispatch({ type: 'notice', notice: { level: 'info', text: err.message } });
        return null;
      });
      if (action === null) return;
      // The retake keeps the head's steering: a continue stays a continue, its note and ooc go again.
      const r = await retryAt(c.store, s, undefined);
      await c.play(r.continued ? '' : action, 'retry', { continue: r.continued, note: r.note, ooc: r.ooc });
    },
    /** Another take of turn `depth` of this branch (a sibling of it), with its action and steering. */
    async retryAt(depth: number): Promise<void> {
      if (!c.story()) return;
      await c.settled();
      const s = await c.refreshStory();
      const turn = (await c.store.getBranch(s.id, s.headTurnId))[depth - 1];
      if (!turn) return c.dispatch({ type: 'notice', notice: { level: 'error', text: `no turn ${depth} on this branch` } });
      if (turn.id === s.headTurnId) return actions.retry();
      const r = await retryAt(c.store, s, turn.id);
      c.dispatch({ type: 'notice', notice: { level: 'info', text: `another take of turn ${depth}; the old one stays (/takes at ${depth})` } });
      await c.play(r.continued ? '' : r.action, 'continue', { fromTurnId: r.parentId, continue: r.continued, note: r.note, ooc: r.ooc });
    },
    /** Replaces a turn's prose (src/story/steer.ts) and shows the branch again. */
    async editProse(turnId: string, prose: string): Promise<void> {
      if (!c.story()) return;
      await c.settled();
      const s = await c.refreshStory();
      const outcome = await editProse(c.store, c.loaded.config, s, turnId, prose);
      const { turn } = outcome;
      if (outcome.unchanged) return c.dispatch({ type: 'notice', notice: { level: 'info', text: `turn ${turn.depth} unchanged` } });
      await c.loadStory(s.id);
      const after = editConsequences(outcome);
      c.dispatch({ type: 'notice', notice: { level: 'info', text: `turn ${turn.depth} edited (${turn.prose.length} characters); the search index follows${after ? `; ${after}` : ''}` } });
      // The new prose's embedding and facts are queued: the in-process Dreamer picks them up now, not after the next turn.
      if (c.loaded.config.agents.dreamer.inProcess) c.startDreamer();
    },
    /** Switches to take `n` of turn `depth` of this branch (the head when undefined). */
    async switchTake(depth: number | undefined, n: number): Promise<void> {
      if (!c.story()) return;
      await c.settled();
      const s = await c.refreshStory();
      const ref = depth === undefined ? undefined : (await c.store.getBranch(s.id, s.headTurnId))[depth - 1]?.id ?? `no turn ${depth}`;
      const { take, head } = await switchTake(c.store, s, ref, n);
      await c.loadStory(s.id);
      c.dispatch({ type: 'notice', notice: { level: 'info', text: `on take ${take.n} of turn ${take.turn.depth}; the story continues from turn ${head.depth}` } });
    },
    /** Reloads the story after a change made outside a turn (an edit, a take switch). */
    async reload(): Promise<void> {
      const story = c.story();
      if (story) await c.loadStory(story.id);
    },
    /** Moves the head back one turn; the undone turn stays as a branch. Returns the undone turn, for the caller to announce. */
    async undo(): Promise<{ action: string; depth: number } | null> {
      if (!c.story()) return null;
      await c.settled();
      const s = await c.refreshStory();
      const done = await undo(c.store, s).catch((err: Error) => {
        c.dispatch({ type: 'notice', notice: { level: 'info', text: err.message } });
        return null;
      });
      if (!done) return null;
      await c.loadStory(s.id);
      return { action: done.undone.action, depth: done.undone.depth };
    },
    /** Switches to the branch ending at `ref` (a turn id or "root"). */
    async moveHead(ref: string, note: string): Promise<void> {
      if (!c.story()) return;
      await c.settled();
      const s = await c.refreshStory();
      await switchHead(c.store, s, ref);
      await c.loadStory(s.id);
      c.dispatch({ type: 'notice', notice: { level: 'info', text: note } });
    },
  };
  return actions;
}
