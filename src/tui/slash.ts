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
import { imageStoreFor } from '../images/store.js';
import { loreCommand, lorePanel } from './lore-panel.js';
import { entityCommand, entityPanel, factCommand, reviewCommand, reviewPanel } from './memory-edit-panel.js';
import { branchPanel, contextPanel, costPanel, exportStory, jobsPanel, memoryPanel, takesPanel } from './views.js';
import { listTakes, setAuthorNote } from '../story/steer.js';
import { MAX_INPUT_CHARS } from './input-edit.js';

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
  /** Puts a turn's prose in the input line; the next Enter saves it as the turn's new prose (/edit). */
  beginEdit?(turn: { id: string; depth: number; prose: string }): void;
}

/** Commands that read what follows them; every other one refuses an argument rather than ignore it. */
const TAKES_ARGS: ReadonlySet<SlashName> = new Set(['branch', 'context', 'lore', 'entity', 'fact', 'review', 'retry', 'takes', 'ooc', 'note', 'image']);

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
    if (controller.busy && ['undo', 'retry', 'branch', 'takes', 'continue', 'ooc', 'edit'].includes(name)) return info('a turn is running: Esc cancels it first');
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
      case 'retry': {
        if (!args.length) return await controller.retry();
        const depth = Number(args[0]);
        if (args.length !== 1 || !Number.isInteger(depth) || depth < 1) {
          ctx.restore(`/retry ${args.join(' ')}`);
          return dispatch({ type: 'notice', notice: { level: 'error', text: `/retry takes a turn number (got "${args.join(' ')}")`, hint: '/retry alone retakes the last turn; /retry 3 retakes turn 3' } });
        }
        dispatch({ type: 'overlay', overlay: null });
        return await controller.retryAt(depth);
      }
      case 'takes':
        return await takes(args, ctx, fresh);
      case 'continue':
        dispatch({ type: 'overlay', overlay: null });
        return void controller.play('', 'continue', { continue: true });
      case 'ooc': {
        const ooc = args.join(' ').trim();
        if (!ooc) return dispatch({ type: 'notice', notice: { level: 'error', text: '/ooc needs the instruction', hint: 'e.g. /ooc the stranger should lie about his name' } });
        dispatch({ type: 'overlay', overlay: null });
        return void controller.play('', 'continue', { continue: true, ooc });
      }
      case 'note': {
        const text = args.join(' ').trim();
        if (!text) return info(fresh.authorNote ? `author's note: ${fresh.authorNote}` : "no author's note (/note TEXT sets one)");
        const saved = await setAuthorNote(store, fresh, text === 'clear' ? null : text);
        return info(saved.authorNote ? `author's note set: ${saved.authorNote}` : "author's note cleared");
      }
      case 'edit': {
        const head = fresh.headTurnId ? await store.getTurn(fresh.headTurnId) : null;
        if (!head) return info('there is no turn to edit yet');
        if (head.prose.length > MAX_INPUT_CHARS) return info(`turn ${head.depth}'s prose is longer than the input line holds: use luna turn ${fresh.id.slice(0, 8)} --edit < file`);
        return ctx.beginEdit?.({ id: head.id, depth: head.depth, prose: head.prose });
      }
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
      case 'entity': {
        let done: string | null;
        try {
          done = await entityCommand(store, fresh, args);
        } catch (err) {
          ctx.restore(`/entity ${args.join(' ')}`);
          throw err;
        }
        return done === null ? dispatch({ type: 'overlay', overlay: await entityPanel(store, fresh, args) }) : info(done);
      }
      case 'fact':
      case 'review':
        if (name === 'review' && !args.length) return dispatch({ type: 'overlay', overlay: await reviewPanel(store, fresh) });
        try {
          const text = name === 'fact' ? await factCommand(store, fresh, args) : await reviewCommand(store, fresh, args);
          return info(text);
        } catch (err) {
          ctx.restore(`/${name} ${args.join(' ')}`); // a typo must not lose the text
          throw err;
        }
      case 'cost':
        return dispatch({ type: 'overlay', overlay: await costPanel(store, fresh, ctx.sessionStart) });
      case 'jobs':
        return dispatch({ type: 'overlay', overlay: await jobsPanel(store, fresh) });
      case 'image':
        return dispatch({ type: 'overlay', overlay: await imagePanel(store, fresh, args, imageStoreFor(ctx.loaded)) });
      case 'export': {
        const out = await exportStory(store, fresh, ctx.loaded.home, imageStoreFor(ctx.loaded));
        return info(`exported ${plural(out.turns, 'turn')} to ${out.json} and ${out.md}`);
      }
    }
  } catch (err) {
    const e = err as { message?: string; hint?: string };
    dispatch({ type: 'notice', notice: { level: 'error', text: `/${name}: ${redactSecrets(e.message ?? String(err))}`, hint: e.hint } });
  }
}

/** /takes [at D] [N]: lists the takes of the last turn (or turn D), or switches to take N. */
async function takes(args: string[], ctx: SlashContext, story: NonNullable<PlayController['story']>): Promise<void> {
  const { store, controller, dispatch } = ctx;
  let rest = args;
  let depth: number | undefined;
  if (rest[0] === 'at') {
    depth = Number(rest[1]);
    rest = rest.slice(2);
  }
  const n = rest.length ? Number(rest[0]) : undefined;
  if ((depth !== undefined && (!Number.isInteger(depth) || depth < 1)) || rest.length > 1 || (n !== undefined && (!Number.isInteger(n) || n < 1))) {
    ctx.restore(`/takes ${args.join(' ')}`);
    return dispatch({ type: 'notice', notice: { level: 'error', text: `/takes: cannot read "${args.join(' ')}"`, hint: '/takes lists the last turn\'s takes, /takes 2 switches to take 2, /takes at 3 [2] works on turn 3' } });
  }
  if (n !== undefined) {
    dispatch({ type: 'overlay', overlay: null });
    return controller.switchTake(depth, n);
  }
  const ref = depth === undefined ? undefined : (await store.getBranch(story.id, story.headTurnId))[depth - 1]?.id ?? `no turn ${depth}`;
  const { of, takes: list } = await listTakes(store, story, ref);
  dispatch({ type: 'overlay', overlay: takesPanel(of.depth, list) });
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
