import type { AgentName, LunaConfig } from '../config/schema.js';
import type { FitLimits } from '../models/limits.js';
import type { GenerateRequest, Usage } from '../models/types.js';
import type { Job, PipelineStore, Story, TurnCommit, TurnLimit } from '../store/types.js';

export type LedgerCall = TurnCommit['ledger'][number];

export interface AgentCallResult {
  text: string;
  usage: Usage;
  /** Config name of the model that answered (after retries/fallbacks). */
  modelName: string;
  ttftMs: number | null;
  latencyMs: number;
  /** One ledger record per attempt, failures included. */
  calls: LedgerCall[];
}

export interface AgentCallOptions {
  onText?: (text: string) => void;
  /** A model failed after streaming some text; a fallback starts over. */
  onRestart?: (reason: string) => void;
  signal?: AbortSignal;
}

/**
 * Calls an agent's model with its retries and fallbacks. Throws ModelError carrying `calls` when all fail.
 * Injected so the pipeline never knows which SDK or engine sits behind an agent.
 */
export type CallAgent = (agent: AgentName, req: GenerateRequest, opts?: AgentCallOptions) => Promise<AgentCallResult>;

/** A turn's rendered images, stored as files; `calls` are their ledger rows. A failure carries its rows as `calls` too. */
export interface RenderedImages {
  images: { n: number; path: string; mime: string; width: number | null; height: number | null; bytes: number }[];
  calls: LedgerCall[];
  gpuSeconds: number;
  transport: 'websocket' | 'poll';
  /** The pictures came from an earlier attempt's spool (rendered and paid for then): no ComfyUI run, no ledger row. */
  fromSpool?: boolean;
  /** Call once the images are linked to the turn: drops the copy kept for a retry. Never throws. */
  release?: () => void;
}

export type RenderImages = (prompt: string, meta: { storyId: string; turnId: string }, signal?: AbortSignal) => Promise<RenderedImages>;

export interface PipelineDeps {
  store: PipelineStore;
  config: LunaConfig;
  callAgent: CallAgent;
  /** The agent's model's context window and token counts, for fitting its prompt; absent: prompts are not fitted. */
  limits?: (agent: AgentName) => Promise<FitLimits>;
  /** Embeds text with the Preprocessor's embedding model; absent when none is configured. */
  embed?: (text: string, signal?: AbortSignal) => Promise<Float32Array | null>;
  signal?: AbortSignal;
  /** Renders an image prompt (ComfyUI) and stores the files; absent when none is configured. */
  renderImages?: RenderImages;
  /** Monotonic milliseconds (performance.now by default); injectable for tests and benches. */
  now?: () => number;
  /**
   * Budget/quota check before any paid call: throws BudgetError to refuse the turn, and returns the hard
   * limits the commit must re-check atomically (two racing turns cannot both take the last unit), plus a
   * warning per soft limit already reached (the turn goes on; renderers show them).
   */
  guard?: (story: Story) => Promise<GuardResult | void>;
  /**
   * Runs one Dreamer job inside whatever the front end wraps it in (a tracing span: src/telemetry). Jobs say
   * nothing through events, so this is their one seam; absent, the job just runs.
   */
  traceJob?: (job: Job, run: () => Promise<void>) => Promise<void>;
}

export interface GuardResult {
  limits: TurnLimit[];
  warnings: string[];
  /** A USD budget applies to the turn: calls without a price escape it, so the turn warns about them. */
  usdBudget?: boolean;
}
