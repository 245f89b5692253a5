/**
 * Fits an agent's prompt into its model's context window: the prompt is rebuilt from the curated context at a
 * smaller budget until prompt + reply fit, counting with the model's own tokenizer where one is at hand. A
 * server that still refuses the prompt for size gets one more try, sized by the counts it sent back.
 */
import type { AgentName } from '../config/schema.js';
import { contextOverflowOf, ModelError } from '../errors.js';
import { estimatePrompt, type FitLimits } from '../models/limits.js';
import type { GenerateRequest } from '../models/types.js';

/** Tokens kept free beside prompt + reply: template tokens a count may miss, and rounding. */
const SAFETY_TOKENS = 16;
/** Below this a reply is not worth asking for; the prompt is too big for the window. */
const MIN_REPLY_TOKENS = 48;
const MAX_ROUNDS = 5;

export type BuildRequest = (budgetTokens: number) => GenerateRequest;

export interface Fitted {
  req: GenerateRequest;
  /** The context budget the prompt was built with. */
  budget: number;
  /** The prompt's size as counted (or estimated) when it was fitted. */
  promptTokens: number;
  /** True when the model's tokenizer counted it. */
  exact: boolean;
}

export async function fitRequest(agent: AgentName, build: BuildRequest, budget: number, limits: FitLimits | undefined, signal?: AbortSignal, windowOverride?: number): Promise<Fitted> {
  let b = Math.max(0, Math.floor(budget));
  const window = windowOverride ?? limits?.contextTokens ?? null;
  for (let round = 0; ; round++) {
    const req = build(b);
    if (!limits || !window) return { req, budget: b, promptTokens: estimatePrompt(req), exact: false };
    const reply = req.maxTokens ?? 0;
    const room = window - reply - SAFETY_TOKENS;
    const { tokens, exact } = await limits.countPrompt(req, signal, room);
    if (tokens <= room) return { req, budget: b, promptTokens: tokens, exact };
    if (b === 0 || round >= MAX_ROUNDS) {
      // The fixed part alone (instructions, action, plan) is too big: give the reply less room, or say why.
      const replyRoom = window - tokens - SAFETY_TOKENS;
      if (replyRoom >= MIN_REPLY_TOKENS && replyRoom < reply) return { req: { ...req, maxTokens: replyRoom }, budget: b, promptTokens: tokens, exact };
      throw new ModelError(`the ${agent}'s prompt needs ${tokens} tokens and its reply ${reply}, more than the model's context window of ${window} tokens`, {
        hint: `give the model a larger context (llama-server -c N, vLLM --max-model-len N, contextSize for a local GGUF), or lower agents.${agent}.maxTokens`,
      });
    }
    // Budgets are in estimate units: convert the overshoot with this prompt's own count-to-estimate ratio, and
    // cut from what the prompt holds (a budget far above a short story's context would not shrink it).
    const estimate = estimatePrompt(req);
    const ratio = tokens / Math.max(1, estimate);
    b = Math.max(0, Math.floor(Math.min(b, estimate) - (tokens - room) / ratio - 8));
  }
}

/**
 * Calls with a fitted request; when the server refuses it as too large for its window, refits once to the
 * window and prompt size the server reported (or three quarters of the budget when it said neither).
 */
export async function callFitted<R>(agent: AgentName, fitted: Fitted, build: BuildRequest, limits: FitLimits | undefined, call: (req: GenerateRequest) => Promise<R>, signal?: AbortSignal): Promise<R> {
  try {
    return await call(fitted.req);
  } catch (err) {
    const overflow = contextOverflowOf(err);
    if (!overflow || signal?.aborted) throw err;
    if (overflow.promptTokens && limits) limits.observe(fitted.req, overflow.promptTokens);
    const window = overflow.contextTokens ?? limits?.contextTokens ?? null;
    // A tokenizer count that fell short of the server's (a template it adds) leaves that much less room; an
    // estimate has just learned the server's ratio (observe above) and needs no more than a margin.
    const reported = overflow.promptTokens;
    const short = reported === null ? Math.ceil((window ?? 0) * 0.1) : fitted.exact ? Math.max(0, reported - fitted.promptTokens) : 0;
    const smaller = window && limits ? await fitRequest(agent, build, fitted.budget, limits, signal, window - short) : { req: build(Math.floor(fitted.budget * 0.75)) };
    return call(smaller.req);
  }
}
