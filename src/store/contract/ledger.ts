/** The cost ledger: one row per model call, and the report shapes read from it. */

export type CallOutcome = 'ok' | 'retried' | 'failed' | 'fallback';
export const LEDGER_AGENTS = ['preprocessor', 'strategist', 'writer', 'dreamer', 'burst', 'other'] as const;
export type LedgerAgent = (typeof LEDGER_AGENTS)[number];

export interface LedgerRow {
  id?: string;
  accountId: string;
  storyId: string | null;
  turnId: string | null;
  agent: LedgerAgent;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** True when a tokenizer estimate stands in for provider-reported usage. */
  estimated: boolean;
  latencyMs: number;
  ttftMs: number | null;
  outcome: CallOutcome;
  /** USD; null when the price was unknown (never silently zero). */
  costUsd: number | null;
  /** The price charged at, USD per million tokens, kept so later price changes do not rewrite history. */
  priceInPerMTok: number | null;
  priceOutPerMTok: number | null;
  /** Burst rows: the instance billed. */
  instanceId?: string | null;
  createdAt?: string;
}

export interface LedgerFilter {
  since?: string;
  until?: string;
  storyId?: string;
  accountId?: string;
  agent?: string;
}

export interface LedgerRollupCheck {
  ledgerCalls: number;
  perAccountCalls: number;
  acrossAccountsCalls: number;
  costUsd: { ledger: number; perAccount: number; acrossAccounts: number };
}

export type LedgerGroupKey = 'agent' | 'model' | 'provider' | 'story' | 'account' | 'day' | 'month' | 'turn';

export interface LedgerAggregateRow {
  keys: Record<string, string | null>;
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  costUsd: number;
  unpricedCalls: number;
  estimatedCalls: number;
  failedCalls: number;
  fallbackCalls: number;
  turns: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

