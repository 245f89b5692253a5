import type { LunaConfig } from '../config/schema.js';
import { UsageError } from '../errors.js';
import type { JobKind, Store, Story, Turn } from '../store/types.js';
import { findTurn } from './branches.js';

/**
 * Steering a story every front end shares (`luna story note`, `luna turn --edit/--takes/--take/--retry --at`,
 * the TUI's /edit /takes /retry, the API): the Author's Note, replacing a turn's prose, and takes (the
 * sibling versions of a turn). They throw LunaErrors and never print.
 */

/** Longest Author's Note: it goes to both models on every turn, so it is kept to a paragraph or two. */
export const MAX_AUTHOR_NOTE_CHARS = 2000;
/** Longest prose an edit may set (the longest a Writer could plausibly write, many times over). */
export const MAX_PROSE_CHARS = 100_000;

/** Control characters other than tab and newline: never part of a note or prose, and unsafe on a terminal. */
const CONTROLS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;

function checkText(text: string, what: string, max: number, flag: string): string {
  const t = text.replace(/\r\n?/g, '\n').trim();
  if (CONTROLS.test(t)) throw new UsageError(`the ${what} contains control characters`, { hint: 'use plain text (newlines and tabs are fine)' });
  if (t.length > max) throw new UsageError(`the ${what} is ${t.length} characters; the limit is ${max}`, { hint: `shorten the ${flag}` });
  return t;
}

/** Sets the story's Author's Note ('' or null clears it). */
export async function setAuthorNote(store: Store, story: Story, note: string | null, flag = 'note'): Promise<Story> {
  const text = note === null ? '' : checkText(note, "author's note", MAX_AUTHOR_NOTE_CHARS, flag);
  if (note !== null && !text) throw new UsageError("the author's note is empty", { hint: `give the text, or clear it with --clear` });
  return store.setAuthorNote(story.id, text);
}

/** The Dreamer work a turn's new prose calls for: its embedding, the facts read from it and its image prompt describe the old text. */
export function jobsAfterEdit(config: LunaConfig): { kind: JobKind }[] {
  const jobs: { kind: JobKind }[] = [];
  if (config.agents.preprocessor.embeddingModel) jobs.push({ kind: 'embed-turn' });
  if (config.agents.dreamer.extractFacts) jobs.push({ kind: 'extract-facts' });
  if (config.agents.dreamer.imagePrompts) jobs.push({ kind: 'image-prompt' });
  return jobs;
}

/**
 * Replaces the prose of a turn (`ref`: an id, a unique prefix; undefined = the head). The search index follows
 * in the same transaction; the turn's embedding and the facts the Dreamer read from its prose are dropped and
 * re-queued (`forgotten`: how many facts went), the entities the Dreamer found only there dropped
 * (`entitiesForgotten`; its re-read finds them again if they are still there); the plan's entities and facts
 * stay, since an edit does not change the plan (docs/play.md).
 */
export async function editProse(store: Store, config: LunaConfig, story: Story, ref: string | undefined, prose: string, flag = '--text'): Promise<EditOutcome> {
  const turn = await turnAt(store, story, ref);
  const text = checkText(prose, 'new prose', MAX_PROSE_CHARS, flag);
  if (!text) throw new UsageError('the new prose is empty', { hint: `give the text with ${flag} or on stdin; to drop the turn, use --undo` });
  // The same words again: nothing to re-derive, and no picture worth paying for twice.
  if (text === turn.prose.replace(/\r\n?/g, '\n').trim()) return { turn, previous: turn.prose, unchanged: true, forgotten: 0, entitiesForgotten: 0, proposalsDropped: 0, rereading: false };
  const jobs = jobsAfterEdit(config);
  const edited = await store.editTurnProse(story.id, turn.id, text, jobs);
  return { turn: edited.turn, previous: turn.prose, unchanged: false, forgotten: edited.factsForgotten, entitiesForgotten: edited.entitiesForgotten, proposalsDropped: edited.proposalsDropped,
    rereading: jobs.some((j) => j.kind === 'extract-facts') };
}

export interface EditOutcome {
  turn: Turn;
  previous: string;
  /** The new prose was the old one: nothing was written or queued. */
  unchanged: boolean;
  /** Facts the Dreamer had read from the old prose, now forgotten. */
  forgotten: number;
  /** Entities the Dreamer had found only in the old prose, now forgotten. */
  entitiesForgotten: number;
  /** Review-mode proposals from the old prose, dropped. */
  proposalsDropped: number;
  /** An extract-facts job reads the new prose. */
  rereading: boolean;
}

/** One line on what an edit re-derives ('' when nothing): the CLI and the TUI say the same. */
export function editConsequences(o: EditOutcome): string {
  const parts: string[] = [];
  if (o.forgotten) parts.push(`${o.forgotten} fact${o.forgotten === 1 ? '' : 's'} read from the old prose forgotten`);
  if (o.entitiesForgotten) parts.push(`${o.entitiesForgotten} ${o.entitiesForgotten === 1 ? 'entity' : 'entities'} found only there forgotten`);
  if (o.proposalsDropped) parts.push(`${o.proposalsDropped} pending proposal${o.proposalsDropped === 1 ? '' : 's'} from it dropped`);
  if (o.rereading) parts.push('the Dreamer reads the new prose');
  return parts.join('; ');
}

/** A turn named by `ref`, or the head; a story without turns has none to name. */
export async function turnAt(store: Store, story: Story, ref: string | undefined): Promise<Turn> {
  if (ref !== undefined && ref !== 'head') {
    const t = await findTurn(store, story, ref);
    if (t) return t;
    throw new UsageError('"root" is the start of the story, not a turn', { hint: 'name a turn id (luna story show lists them)' });
  }
  const head = story.headTurnId ? await store.getTurn(story.headTurnId) : null;
  if (!head) throw new UsageError('the story has no turns yet', { hint: 'play a first turn' });
  return head;
}

export interface Take {
  /** 1-based, in the order the takes were made. */
  n: number;
  turn: Turn;
  /** On the branch the story is on now. */
  current: boolean;
  /** Turns played after this take (on its latest branch). */
  after: number;
}

/** Every take of the turn at `ref` (the turns with its parent), oldest first, and which one the story is on. */
export async function listTakes(store: Store, story: Story, ref: string | undefined): Promise<{ of: Turn; takes: Take[] }> {
  const of = await turnAt(store, story, ref);
  const siblings = await store.getChildren(of.parentId, story.id);
  const onBranch = new Set(await store.getBranchIds(story.id, story.headTurnId));
  const takes: Take[] = [];
  for (const [i, turn] of siblings.entries()) {
    const tip = await latestTip(store, story, turn);
    takes.push({ n: i + 1, turn, current: onBranch.has(turn.id), after: tip.depth - turn.depth });
  }
  return { of, takes };
}

/**
 * Moves the story to take `n` of the turn at `ref`: the head goes to the latest turn played after that take
 * (the take itself when nothing was), so going back to a take finds its continuation where it was left.
 */
export async function switchTake(store: Store, story: Story, ref: string | undefined, n: number): Promise<{ take: Take; head: Turn }> {
  const { takes } = await listTakes(store, story, ref);
  const take = takes.find((t) => t.n === n);
  if (!Number.isInteger(n) || !take) {
    throw new UsageError(`there is no take ${n}: this turn has ${takes.length} take${takes.length === 1 ? '' : 's'}`, { hint: 'list them with --takes' });
  }
  const head = await latestTip(store, story, take.turn);
  await store.setHead(story.id, head.id, story.headTurnId);
  return { take: { ...take, current: true }, head };
}

/** What another take of the turn at `ref` is played with: the same parent, and its action and steering unless given anew. */
export async function retryAt(store: Store, story: Story, ref: string | undefined): Promise<{ of: Turn; parentId: string | null; action: string; continued: boolean; note: string; ooc: string }> {
  const of = await turnAt(store, story, ref);
  const continued = of.continued || (!of.action && of.depth > 1);
  return { of, parentId: of.parentId, action: of.action, continued, note: of.note, ooc: of.ooc };
}

/** The most recently made leaf below `turn` (or the turn itself when it has no children). */
async function latestTip(store: Store, story: Story, turn: Turn): Promise<Turn> {
  const leaves = await store.listLeaves(story.id);
  for (const leaf of leaves.reverse()) {
    if (leaf.id === turn.id) return leaf;
    if (leaf.depth > turn.depth && (await store.getBranchIds(story.id, leaf.id))[turn.depth - 1] === turn.id) return leaf;
  }
  return turn;
}
