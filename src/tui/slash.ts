import type { Dispatch } from 'react';
import type { LoadedConfig } from '../config/load.js';
import { redactSecrets } from '../errors.js';
import type { Store } from '../store/types.js';
import { helpLines, type SlashName } from './commands.js';
import type { PlayController } from './controller.js';
import type { TuiAction } from './state.js';
import { listBranches } from '../story/branches.js';
import { branchPanel, contextPanel, costPanel, exportStory, jobsPanel, memoryPanel } from './views.js';

export interface SlashContext {
  store: Store;
  loaded: LoadedConfig;
  controller: PlayController;
  dispatch: Dispatch<TuiAction>;
  sessionStart: Date;
  /** What is typed so far (the /context viewer curates for it). */
  draft: string;
  quit(): void;
  /** Puts text back into the input line. */
  restore(text: string): void;
}

/** Runs one slash command. Failures become inline notices; the session stays usable. */
export async function runSlash(name: SlashName, args: string[], ctx: SlashContext): Promise<void> {
  const { store, controller, dispatch } = ctx;
  const info = (text: string) => dispatch({ type: 'notice', notice: { level: 'info', text } });
  try {
    if (name === 'quit') return ctx.quit();
    if (name === 'help') return dispatch({ type: 'overlay', overlay: { title: 'help', lines: helpLines() } });
    const story = controller.story;
    if (!story) return;
    if (controller.busy && ['undo', 'retry', 'branch'].includes(name)) return info('a turn is running: Esc cancels it first');
    const fresh = (await store.getStory(story.id)) ?? story;
    switch (name) {
      case 'undo': {
        const undone = await controller.undo();
        if (!undone) return;
        // Restore the action and announce in the same tick, so they render in one frame: a key typed after
        // the notice appears lands in the restored input, never before it.
        ctx.restore(undone.action);
        return info(`undid turn ${undone.depth} (kept as a branch: /branch lists it)`);
      }
      case 'retry':
        return await controller.retry();
      case 'branch':
        return await branch(args, ctx, fresh);
      case 'context':
        return dispatch({ type: 'overlay', overlay: await contextPanel(store, fresh, ctx.loaded.config, ctx.draft.trim()) });
      case 'memory':
        return dispatch({ type: 'overlay', overlay: await memoryPanel(store, fresh) });
      case 'cost':
        return dispatch({ type: 'overlay', overlay: await costPanel(store, fresh, ctx.sessionStart) });
      case 'jobs':
        return dispatch({ type: 'overlay', overlay: await jobsPanel(store, fresh) });
      case 'export': {
        const out = await exportStory(store, fresh, ctx.loaded.home);
        return info(`exported ${out.turns} turns to ${out.json} and ${out.md}`);
      }
    }
  } catch (err) {
    const e = err as { message?: string; hint?: string };
    dispatch({ type: 'notice', notice: { level: 'error', text: `/${name}: ${redactSecrets(e.message ?? String(err))}`, hint: e.hint } });
  }
}

async function branch(args: string[], ctx: SlashContext, story: NonNullable<PlayController['story']>): Promise<void> {
  const { store, controller, dispatch } = ctx;
  const branches = await listBranches(store, story);
  const head = story.headTurnId ? await store.getTurn(story.headTurnId) : null;
  if (args.length === 0) return dispatch({ type: 'overlay', overlay: branchPanel(story, branches, head?.depth ?? 0) });
  if (args[0] === 'from') {
    const depth = Number(args[1]);
    if (!Number.isInteger(depth) || depth < 0 || depth > (head?.depth ?? 0)) {
      return dispatch({ type: 'notice', notice: { level: 'error', text: `/branch from needs a turn number between 0 and ${head?.depth ?? 0}`, hint: 'e.g. /branch from 3 (0 = the very start)' } });
    }
    const path = await store.getBranch(story.id, story.headTurnId);
    const target = depth === 0 ? null : (path[depth - 1]?.id ?? null);
    return controller.moveHead(target, `continuing from turn ${depth}; your next action starts a new branch (the old one stays: /branch)`);
  }
  const n = Number(args[0]);
  const pick = branches[n - 1];
  if (!Number.isInteger(n) || !pick) {
    return dispatch({ type: 'notice', notice: { level: 'error', text: `no branch ${args[0]}`, hint: `/branch lists ${branches.length} branch${branches.length === 1 ? '' : 'es'}` } });
  }
  dispatch({ type: 'overlay', overlay: null });
  return controller.moveHead(pick.leaf.id, `switched to branch ${n} (${pick.leaf.depth} turns)`);
}
