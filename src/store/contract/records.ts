/** What a story is made of, as every Store returns it: accounts, stories, the turn tree, memory. */

import type { LedgerRow } from './ledger.js';
import type { JobKind } from './ops.js';

export const DEFAULT_ACCOUNT_ID = 'local';

export interface Account {
  id: string;
  name: string;
  tier: string;
  createdAt: string;
}

/** An API key as listed: the secret itself is shown once at creation and only its sha256 is stored. */
export interface ApiKey {
  id: string;
  accountId: string;
  label: string;
  /** Visible start of the secret (e.g. `luna_7k2f9a1b`), to tell keys apart. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

export interface Story {
  id: string;
  accountId: string;
  title: string;
  premise: string;
  style: string;
  /** The turn the story currently continues from (the tip of the current branch); null before the first turn. */
  headTurnId: string | null;
  /** Standing instructions to the Writer and Strategist on every turn ('' = none); see docs/play.md. */
  authorNote: string;
  createdAt: string;
  updatedAt: string;
}

export interface StorySummary extends Story {
  turnCount: number;
}

export interface Turn {
  id: string;
  storyId: string;
  parentId: string | null;
  /** 1 for the first turn; parent's depth + 1 (its position on its branch). */
  depth: number;
  action: string;
  prose: string;
  /** Strategist plan as stored (JSON), null for imported turns. */
  plan: unknown | null;
  /** The note given for this turn only (`--note`), '' when none. */
  note: string;
  /** Out-of-character instruction the Strategist got for this turn (`--ooc`, `/ooc`), '' when none. */
  ooc: string;
  /** The Writer went on without a new action (`--continue`, `/continue`); the action is ''. */
  continued: boolean;
  /** When the prose was last replaced by hand (`--edit`, `/edit`); null when never. */
  editedAt: string | null;
  createdAt: string;
}

/** A prose edit: the turn as it is now, and what was derived from the old prose and is gone. */
export interface EditedTurn {
  turn: Turn;
  /** Facts the Dreamer read from the old prose (origin 'dreamer' at this turn). */
  factsForgotten: number;
  /** Entities the Dreamer first found in the old prose, with no fact left and not since named by a plan or the player. */
  entitiesForgotten: number;
  /** Its pending review-mode proposals from the Dreamer. */
  proposalsDropped: number;
}

export const ENTITY_KINDS = ['character', 'place', 'item', 'faction', 'other'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

export interface Entity {
  id: string;
  storyId: string;
  name: string;
  kind: EntityKind;
  aliases: string[];
  description: string;
  /** Turn that introduced it; null for entities from an import's sheet or lore. */
  firstTurnId: string | null;
  createdAt: string;
  /**
   * Who recorded it (migration 0017): the plan, the Dreamer (from the prose), the player, or an import; a plan
   * naming a Dreamer's entity makes it the plan's, a player's edit the player's. Set on every entity a store reads.
   */
  origin?: FactOrigin;
}

export interface Fact {
  id: string;
  entityId: string;
  /** What the fact is about, e.g. "sword", "location", "sister". A newer fact with the same key supersedes older ones on the branch. */
  key: string;
  value: string;
  turnId: string | null;
  /** Depth of turnId (0 for facts not tied to a turn): orders facts along a branch. */
  depth: number;
  createdAt: string;
  /** Who wrote it (docs/memory.md). */
  origin: FactOrigin;
  /** The turn the story was at when it was learned or written (turnId is the turn it applies from). */
  sourceTurnId: string | null;
  /** A tombstone: from turnId on, the key has no value. Older values stay as history. */
  removed: boolean;
}

/** Where a fact came from: a turn's plan, the Dreamer, a player's edit, or an import. */
export const FACT_ORIGINS = ['plan', 'dreamer', 'player', 'import'] as const;
export type FactOrigin = (typeof FACT_ORIGINS)[number];

/** One change to story memory, as the pipeline, the Dreamer or a player proposes it (src/pipeline/dreamer-memory.ts). */
export type MemoryChange =
  | { op: 'entity'; name: string; kind: EntityKind; aliases?: string[]; description?: string }
  | { op: 'fact'; entity: string; key: string; value: string }
  | { op: 'fact-rm'; entity: string; key: string };

/** A change waiting for the player (review mode, agents.dreamer.review). */
export interface MemoryProposal {
  id: string;
  storyId: string;
  /** The turn it was proposed at (the fact applies from it when accepted); null outside a turn. */
  turnId: string | null;
  origin: FactOrigin;
  change: MemoryChange;
  state: 'pending' | 'accepted' | 'rejected';
  createdAt: string;
  decidedAt: string | null;
}

/** What an entity edit may change; aliases replace the list. */
export interface EntityPatch {
  name?: string;
  kind?: EntityKind;
  description?: string;
  aliases?: string[];
}

/** How an entry's secondary keys combine with its primary match (SillyTavern World Info's selective logic). */
export type LoreLogic = 'and-any' | 'and-all' | 'not-any' | 'not-all';
export const LORE_LOGICS: readonly LoreLogic[] = ['and-any', 'and-all', 'not-any', 'not-all'];
/**
 * Where a triggered entry goes in the context: `before` the character sheets (the World section), `after`
 * them, or `recent`: just before the most recent turns, where it weighs most (SillyTavern's @depth and
 * Author's Note positions).
 */
export type LorePosition = 'before' | 'after' | 'recent';
export const LORE_POSITIONS: readonly LorePosition[] = ['before', 'after', 'recent'];

/** The matching rules of a lore entry; every field has a default that behaves like a plain keyword entry. */
export interface LoreRules {
  /** Filter keys, combined with the primary match by `logic`; empty = the primary match alone decides. */
  secondaryKeys: string[];
  logic: LoreLogic;
  caseSensitive: boolean;
  /** Keys match whole words only (a key "art" does not fire on "party"). Regex keys ignore it. */
  wholeWords: boolean;
  /** Insertion order inside its position: lower comes first. */
  order: number;
  /** -100…100: a higher priority is kept first when the budget runs short. */
  priority: number;
  position: LorePosition;
  /** 0–100: chance the entry is used when triggered, rolled once per turn with a seed (retries roll the same). */
  probability: number;
  /** Other entries' text cannot trigger this one. */
  excludeRecursion: boolean;
  /** This entry's text does not trigger others. */
  preventRecursion: boolean;
  enabled: boolean;
  /** For the author only; never sent to a model. */
  comment: string;
}

export const LORE_DEFAULTS: LoreRules = {
  secondaryKeys: [], logic: 'and-any', caseSensitive: false, wholeWords: true, order: 100, priority: 0, position: 'before',
  probability: 100, excludeRecursion: false, preventRecursion: false, enabled: true, comment: '',
};

export interface LoreEntry extends LoreRules {
  id: string;
  storyId: string;
  title: string;
  /**
   * Words that trigger this entry when they appear in the action or recent turns; `/pattern/flags` is a
   * regular expression. Without keywords the title is the key.
   */
  keywords: string[];
  body: string;
  /** Always included (world rules) regardless of keywords. */
  constant: boolean;
}

/** A lore entry to write: title and body, everything else optional with LORE_DEFAULTS. */
export type NewLore = { title: string; body: string; keywords?: string[]; constant?: boolean } & Partial<LoreRules>;

/** The character card a story was made from, as imported (src/cards); the image is the card's PNG when it had one. */
export interface StoryCard {
  storyId: string;
  spec: 'chara_card_v2' | 'chara_card_v3';
  /** The card's `data` object as imported (character_book removed: it lives on as lore). */
  card: Record<string, unknown>;
  tags: string[];
  image: Buffer | null;
}

/** An image the Dreamer got back for a turn (ComfyUI); the file lives outside the database at `path`. */
export interface TurnImage {
  id: string;
  storyId: string;
  turnId: string;
  /** The turn's depth (1 = first turn), for listings. */
  depth: number;
  /** 1-based position among the turn's images (a workflow may output several). */
  n: number;
  path: string;
  mime: string;
  /** From the image header when it was cheap to read (PNG, JPEG, WebP); null otherwise. */
  width: number | null;
  height: number | null;
  bytes: number;
  prompt: string;
  createdAt: string;
}

export type NewTurnImage = Omit<TurnImage, 'id' | 'storyId' | 'turnId' | 'depth' | 'createdAt'>;

export interface ArcSummary {
  id: string;
  storyId: string;
  /** Last turn the summary covers; the summary is visible on every branch containing it. */
  toTurnId: string;
  fromDepth: number;
  toDepth: number;
  kind: 'arc' | 'story';
  summary: string;
  createdAt: string;
}

/** Everything a turn's context is assembled from that is the story's rather than the branch's, read at once. */
export interface StoryMemory {
  entities: Entity[];
  facts: Fact[];
  lore: LoreEntry[];
  arcs: ArcSummary[];
  /** historySize of the branch ending at the head (no turns for a null head). */
  size: { turns: number; chars: number; loreChars: number };
  /** The story's lore revision: every write to its lore moves it on (a trigger, migration 0014). */
  loreRev: number;
  /**
   * True when the caller passed knownLoreRev and it is still the story's: the lore was not read again, so `lore` is
   * empty and size.loreChars 0, and the caller's copy of that revision stands (src/store/branch-cache.ts).
   */
  loreUnchanged?: boolean;
}

export interface SearchHit {
  turnId: string;
  score: number;
}

/** The start or the end of a neighbouring turn's prose (PASSAGE_EDGE_CHARS); `whole` when nothing was cut. */
export interface ProseEdge {
  text: string;
  whole: boolean;
}

/** A turn as passage retrieval reads it: with the end of its parent's prose and the start of each child's. */
export interface PassageTurn {
  turn: Turn;
  /** Null for a story's first turn. */
  parentTail: ProseEdge | null;
  /** Every child, oldest first: the caller knows which one is on its branch. */
  children: ({ id: string } & ProseEdge)[];
}

/** A text search's hits, and the first hits' turns read with them (searchPassages). */
export interface PassageSearch {
  hits: SearchHit[];
  turns: PassageTurn[];
}

export interface NewEntity {
  /** Existing entity to extend (facts/aliases), or undefined to create. */
  id?: string;
  name: string;
  kind: EntityKind;
  aliases?: string[];
  description?: string;
}

export interface NewFact {
  /** Entity by id, or by name from `entities` in the same commit. */
  entityId?: string;
  entityName?: string;
  key: string;
  value: string;
  /** A tombstone: removes the key from this turn on (value is ignored). */
  removed?: boolean;
  /** Overrides the write's origin (an import keeps each fact's own). */
  origin?: FactOrigin;
}

/** Who writes facts and from which turn they were learned (default: 'plan' inside a turn, 'import' outside). */
export interface FactWriteMeta {
  origin?: FactOrigin;
  sourceTurnId?: string | null;
}

export interface TurnCommit {
  storyId: string;
  /** The head this turn was planned against. The commit fails with BusyError if the head moved. */
  expectedHeadId: string | null;
  /** Parent of the new turn (normally expectedHeadId; differs for retry/branch-from). */
  parentId: string | null;
  action: string;
  prose: string;
  plan: unknown | null;
  entities: NewEntity[];
  facts: NewFact[];
  ledger: Omit<LedgerRow, 'turnId' | 'storyId' | 'accountId'>[];
  jobs: { kind: JobKind; payload?: Record<string, unknown> }[];
  /** Review mode: written as pending proposals in the same transaction instead of entities/facts. */
  proposals?: MemoryChange[];
  /**
   * Hard limits re-checked inside the commit transaction, so two turns racing for the last unit of a
   * budget or quota cannot both land: the loser fails with BudgetError (exit 8) and writes nothing.
   */
  limits?: TurnLimit[];
  /** Steering the turn was played with, kept with it (empty/false when absent). */
  note?: string;
  ooc?: string;
  continued?: boolean;
}

export interface TurnLimit {
  /** 'account': the story's account only; 'global': every account. */
  scope: 'account' | 'global';
  /** ISO start of the period (day or month) the limit counts from. */
  since: string;
  /** Committed turns allowed in the period, this one included; null/undefined = unlimited. */
  maxTurns?: number | null;
  /** Ledger spend allowed in the period (USD), this turn's calls included; null/undefined = unlimited. */
  maxCostUsd?: number | null;
  /** What to tell the player when the commit refuses the turn (when it resets, which key raises it). */
  hint?: string;
  /** Shown in the BudgetError, e.g. "free tier: 100 turns a month". */
  label: string;
}

export interface StoryBundle {
  title: string;
  premise: string;
  style?: string;
  lore?: NewLore[];
  /** Kept for stories made from a character card; the image as base64. */
  card?: { spec: StoryCard['spec']; data: Record<string, unknown>; tags?: string[]; image?: string };
  entities?: {
    name: string; kind?: EntityKind; aliases?: string[]; description?: string;
    facts?: { key: string; value: string; turn?: number; origin?: FactOrigin; removed?: boolean }[];
  }[];
  /** The story's Author's Note (docs/play.md); absent or '' = none. */
  authorNote?: string;
  /** Main line, in order. */
  turns: BundleTurn[];
  /** Side branches: each starts after turn `from` (1-based index into `turns`, 0 = from the start). */
  branches?: { from: number; turns: BundleTurn[] }[];
}

/** A turn in a story file; the steering fields appear only on turns that had them. */
export interface BundleTurn {
  action: string;
  prose: string;
  continued?: boolean;
  note?: string;
  ooc?: string;
}

