import type { LedgerRow, Turn } from '../store/types.js';
import type { BeatPlan } from './plan.js';

/** The typed event stream every front end renders: the TUI, plain `luna turn`, and `--json`. */
// The Dreamer is not a stage: it runs after the turn, off its critical path (jobs, not events).
export type Stage = 'preprocessor' | 'strategist' | 'writer' | 'commit';

export interface ContextSection {
  /** premise, arc, entities, lore, relevant, recent, story-summary */
  name: string;
  title: string;
  tokens: number;
  /** How many items survived trimming, and how many were candidates. */
  items: number;
  candidates: number;
  text: string;
}

export interface CuratedContext {
  sections: ContextSection[];
  totalTokens: number;
  budgetTokens: number;
  /** Estimated tokens of the whole branch history plus lore. */
  historyTokens: number;
  /** 1 - totalTokens / historyTokens (0 when there is no history yet). */
  compression: number;
  /** Names of entities judged in play (for the side panel). */
  entitiesInPlay: string[];
  retrieval: {
    bm25Hits: number;
    vectorHits: number;
    usedVectors: boolean;
    /** Entities the action names (by name, part of it, or alias): their other names joined the search. */
    named?: { name: string; via: string }[];
    /** Retrieved passages, best first: turn depth, score, why chosen, and whether it fit the budget. */
    passages?: { turn: number; score: number; why: string; included: boolean }[];
  };
  /** Every lore entry the matcher triggered, why, and whether it fit the budget; and those that lost their probability roll. */
  lore?: LoreTriggerView[];
  /** The Author's Note and this turn's note as placed (absent when there is neither). */
  authorNote?: AuthorNoteView;
  ms: number;
}

export interface AuthorNoteView {
  /** context.authorNoteDepth as configured. */
  depth: number;
  /** Where it sits, in words: "just before the player action", "before turn 7". */
  placement: string;
  text: string;
  tokens: number;
  /** Whether it fit the Writer's budget (it is packed nearly first, so only a tiny budget drops it). */
  included: boolean;
}

export interface LoreTriggerView {
  id: string;
  title: string;
  via: 'constant' | 'action' | 'context' | 'recursion' | 'missed';
  /** e.g. `key "chapel" in the action; and any: "bell"`. */
  why: string;
  position: string;
  /** In the context as sent (false: triggered but cut by the budget or maxLore, or missed its roll). */
  included: boolean;
}

export interface CallCost {
  agent: LedgerRow['agent'];
  model: string;
  provider: string;
  inputTokens: number;
  outputTokens: number;
  costUsd: number | null;
  outcome: LedgerRow['outcome'];
  latencyMs: number;
}

export interface EntityUpdate {
  name: string;
  kind: string;
  status: 'appeared' | 'new';
  facts: { key: string; value: string }[];
}

export interface TurnTotals {
  costUsd: number;
  unpricedCalls: number;
  inputTokens: number;
  outputTokens: number;
  latencyMs: number;
  ttftMs: number | null;
  stages: Partial<Record<Stage, number>>;
}

export type TurnEvent =
  | { type: 'turn-started'; storyId: string; parentId: string | null; action: string }
  | { type: 'stage-started'; stage: Stage }
  | { type: 'stage-finished'; stage: Stage; ms: number }
  | { type: 'context-ready'; context: CuratedContext }
  | { type: 'plan-ready'; plan: BeatPlan; repaired: boolean }
  | { type: 'prose-token'; text: string }
  /** A model failed mid-stream and a fallback starts over: renderers discard the partial prose. */
  | { type: 'prose-restart'; reason: string }
  | { type: 'entity-update'; update: EntityUpdate }
  | { type: 'cost'; call: CallCost }
  | { type: 'warning'; message: string }
  | { type: 'done'; turn: Turn; plan: BeatPlan; prose: string; entities: EntityUpdate[]; totals: TurnTotals; jobsQueued: number }
  | { type: 'error'; message: string; hint?: string; exitCode: number; cancelled: boolean; action: string };
