import { plural } from '../util/plural.js';
import type { Dispatch } from 'react';
import type { LoadedConfig } from '../config/load.js';
import { redactSecrets } from '../errors.js';
import type { Store } from '../store/types.js';
import { helpLines, type SlashName } from './commands.js';
import type { PlayController } from './controller.js';
import type { TuiAction } from './state.js';
import { listBranches } from '../story/branches.js';
import { imagePanel } from './image-panel.js';
import { loreCommand, lorePanel } from './lore-panel.js';
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

/** Commands that read what follows them; every other one refuses an argument rather than ignore it. */
const TAKES_ARGS: ReadonlySet<SlashName> = new Set(['branch', 'context', 'lore', 'image']);

/** Runs one slash command. Failures become inline notices; the session stays usable. */
export async function runSlash(name: SlashName, args: string[], ctx: SlashContext): Promise<void> {
  const { store, controller, dispatch } = ctx;
  const info = (text: string) => dispatch({ type: 'notice', notice: { level: 'info', text } });
  if (args.length && !TAKES_ARGS.has(name)) {
    // "/undo please not" must not undo: hand the line back to be fixed.
    ctx.restore(`/${name} ${args.join(' ')}`);
    return dispatch({ type: 'notice', notice: { level: 'error', text: `/${name} takes no argument (got "${args.join(' ')}")`, hint: `type /${name} alone; to play an action that starts with a slash, begin it with //` } });
  }
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
      case 'lore':
        if (!args.length) return dispatch({ type: 'overlay', overlay: await lorePanel(store, fresh, ctx.loaded.config, ctx.draft.trim()) });
        try {
          return info(await loreCommand(store, fresh, args));
        } catch (err) {
          ctx.restore(`/lore ${args.join(' ')}`); // a typo in "/lore add …" must not lose the text
          throw err;
        }
      case 'cost':
        return dispatch({ type: 'overlay', overlay: await costPanel(store, fresh, ctx.sessionStart) });
      case 'jobs':
        return dispatch({ type: 'overlay', overlay: await jobsPanel(store, fresh) });
      case 'image':
        return dispatch({ type: 'overlay', overlay: await imagePanel(store, fresh, args) });
      case 'export': {
        const out = await exportStory(store, fresh, ctx.loaded.home);
        return info(`exported ${plural(out.turns, 'turn')} to ${out.json} and ${out.md}`);
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
    const last = head?.depth ?? 0;
    if (args.length !== 2 || !Number.isInteger(depth) || depth < 0 || depth > last) {
      const got = args[1] === undefined ? 'no turn number' : `"${args.slice(1).join(' ')}"`;
      // The hint names turns that exist on this branch, never an example that is out of range.
      const hint = last === 0 ? 'this branch has no turns yet: only /branch from 0 (the very start) applies' : `turns 0–${last} exist on this branch (0 = the very start), e.g. /branch from ${last - 1}`;
      return dispatch({ type: 'notice', notice: { level: 'error', text: `/branch from needs a turn number from 0 to ${last} (got ${got})`, hint } });
    }
    const path = await store.getBranch(story.id, story.headTurnId);
    const target = depth === 0 ? null : (path[depth - 1]?.id ?? null);
    return controller.moveHead(target ?? 'root', `continuing from turn ${depth}; your next action starts a new branch (the old one stays: /branch)`);
  }
  const n = Number(args[0]);
  const pick = branches[n - 1];
  if (args.length !== 1 || !Number.isInteger(n) || !pick) {
    const range = branches.length === 0 ? 'there are no branches yet' : branches.length === 1 ? 'there is one branch: /branch 1' : `branches are numbered 1–${branches.length}`;
    return dispatch({ type: 'notice', notice: { level: 'error', text: `no branch ${args.join(' ')}`, hint: `${range}; /branch lists them, /branch from D continues from turn D` } });
  }
  dispatch({ type: 'overlay', overlay: null });
  return controller.moveHead(pick.leaf.id, `switched to branch ${n} (${plural(pick.leaf.depth, 'turn')})`);
}
