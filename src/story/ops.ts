import type { LoadedConfig } from '../config/load.js';
import { UsageError } from '../errors.js';
import type { PipelineDeps } from '../pipeline/deps.js';
import type { Store, Story, Turn } from '../store/types.js';
import { storyBundleSchema } from './bundle.js';
import { findTurn } from './branches.js';
import { requireAccount } from './find.js';
import { checkTitle } from './title.js';

/**
 * Story operations every front end shares (the TUI, `luna turn`, `luna story new` and the API):
 * undo, the action a retry replays, moving the head, branching, creating a story, and what follows a commit.
 * They throw LunaErrors and never print.
 */

export interface NewStoryInput {
  title: string;
  premise?: string;
  style?: string;
}

/**
 * The one validation every way of creating a story goes through (`story new`, `play --new`, the TUI's form,
 * the API): the title passes checkTitle (not blank, one printable line, at most 200 characters), and lengths
 * follow the story file format, so every story can be exported and imported back. `field` names what the
 * caller calls each field ("--title", "title").
 */
export function checkNewStory(input: NewStoryInput, field: (name: 'title' | 'premise' | 'style') => string = (n) => n): { title: string; premise: string; style: string } {
  const title = checkTitle(input.title, { label: field('title') });
  const out = { title, premise: (input.premise ?? '').trim(), style: (input.style ?? '').trim() };
  const shape = storyBundleSchema.shape;
  for (const name of ['premise', 'style'] as const) {
    const value = out[name];
    if (!shape[name].safeParse(value).success) throw new UsageError(`${field(name)} is too long (${value.length} characters)`, { hint: 'shorten it; long background can go in lore' });
  }
  return out;
}

/** Creates a story for an existing account (the built-in `local` account is created on first use). */
export async function createStory(store: Store, accountId: string, input: NewStoryInput, field?: (name: 'title' | 'premise' | 'style') => string): Promise<Story> {
  const checked = checkNewStory(input, field);
  await requireAccount(store, accountId);
  return store.createStory({ accountId, ...checked });
}

/** Moves the head back one turn; the undone turn stays as a branch. Returns the undone turn. */
export async function undo(store: Store, story: Story): Promise<{ undone: Turn; head: Turn | null }> {
  const head = story.headTurnId ? await store.getTurn(story.headTurnId) : null;
  if (!head) throw new UsageError('nothing to undo: the story has no turns on this branch');
  await store.setHead(story.id, head.parentId, head.id);
  return { undone: head, head: head.parentId ? await store.getTurn(head.parentId) : null };
}

/** A bare retry is another take of the head's action. */
export async function retryAction(store: Store, story: Story): Promise<string> {
  const turn = story.headTurnId ? await store.getTurn(story.headTurnId) : null;
  if (!turn) throw new UsageError('there is no turn to retry yet', { hint: 'play a first turn' });
  return turn.action;
}

/** Switches the story to the branch ending at `ref` (a turn id, a unique prefix, or "root"). */
export async function switchHead(store: Store, story: Story, ref: string): Promise<Turn | null> {
  const target = await findTurn(store, story, ref);
  await store.setHead(story.id, target?.id ?? null, story.headTurnId);
  return target;
}

/** The parent for a turn played "from" `ref` (null = from the very start). */
export async function branchFrom(store: Store, story: Story, ref: string): Promise<string | null> {
  return (await findTurn(store, story, ref))?.id ?? null;
}

export interface AfterCommitResult {
  relayed: number;
  dreamer: { done: number; failed: number; retried: number } | null;
}

/**
 * After a turn commits with Dreamer jobs: with a Redis queue the jobs are handed over at once; with the
 * in-process Dreamer (and `dream` not off) they run here, off the turn's critical path. Failures only delay jobs.
 */
export async function afterCommit(deps: PipelineDeps, loaded: LoadedConfig, opts: { jobsQueued: number; dream?: boolean; workerId: string }): Promise<AfterCommitResult> {
  const out: AfterCommitResult = { relayed: 0, dreamer: null };
  if (opts.jobsQueued <= 0) return out;
  const { queue } = loaded.config;
  const inProcess = opts.dream !== false && loaded.config.agents.dreamer.inProcess;
  if (queue && queue !== 'store' && !inProcess) {
    out.relayed = await (await import('../queue/open.js')).relayAfterCommit(queue, deps.store).catch(() => 0);
  }
  if (inProcess && !deps.signal?.aborted) {
    const { drainJobs } = await import('../pipeline/dreamer.js');
    const r = await drainJobs(deps, { workerId: opts.workerId });
    out.dreamer = { done: r.done, failed: r.failed, retried: r.retried };
  }
  return out;
}
