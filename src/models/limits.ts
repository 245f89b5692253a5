/**
 * Token counts a prompt is fitted by, per model: the model's own tokenizer where one is at hand (cached by
 * text), otherwise the fast estimate scaled by a ratio learned from the model's real counts (its tokenizer or
 * the usage the provider reports), so a small-vocabulary model is not fitted as if it were GPT's.
 */
import { createHash } from 'node:crypto';
import { estimateTokens } from '../util/tokens.js';
import { promptText } from './shared.js';
import type { GenerateRequest, ModelClient, ModelLimits } from './types.js';

export interface TokenCount {
  tokens: number;
  /** True when the model's tokenizer counted it; false for a calibrated estimate. */
  exact: boolean;
}

export interface FitLimits {
  /** Context window in tokens, or null when unknown (nothing to fit). */
  contextTokens: number | null;
  /**
   * The prompt's size. With `room` (tokens the prompt may use), a prompt the calibrated estimate puts well
   * inside it is not sent to the server's tokenizer: that round trip sat on every turn's critical path.
   */
  countPrompt(req: GenerateRequest, signal?: AbortSignal, room?: number): Promise<TokenCount>;
  /** Characters per token of this model on plan-like text. */
  charsPerToken(signal?: AbortSignal): Promise<number>;
  /** Learns from a provider-reported prompt size (calls that went through). */
  observe(req: GenerateRequest, inputTokens: number): void;
}

const PER_MESSAGE = 4;
/** A calibrated estimate this far under the room needs no exact count (estimates of one model vary ~±15%). */
const CLEAR_MARGIN = 1.3;
const CACHE_MAX = 256;
/** Plan-shaped sample for measuring characters per token: JSON punctuation tokenizes worse than prose. */
const SAMPLE = '{"intent": "Mira searches the old lighthouse for the brass key", "tone": "tense", "beats": ["She climbs the spiral stairs", "A shadow moves below"], "entities": [{"name": "Mira", "kind": "character"}], "factChanges": []}';

export function estimatePrompt(req: GenerateRequest): number {
  return estimateTokens(promptText(req)) + PER_MESSAGE * (req.messages.length + (req.system ? 1 : 0));
}

/** One per model client for the life of a session: the ratio and the cache carry over from turn to turn. */
export function createFitLimits(client: Pick<ModelClient, 'limits'>): () => Promise<FitLimits> {
  let ratio = 1;
  let cpt: Promise<number> | null = null;
  const cache = new Map<string, number>();
  let base: Promise<ModelLimits> | null = null;
  const limits = (signal?: AbortSignal) => {
    base ??= (client.limits?.(signal) ?? Promise.resolve(null)).then(
      (l) => l ?? { contextTokens: null, countPrompt: null, countText: null },
      () => ({ contextTokens: null, countPrompt: null, countText: null }),
    );
    return base;
  };
  let calibrated = false;
  const learn = (estimate: number, real: number) => {
    if (estimate > 50 && real > 0) {
      ratio = Math.max(0.5, Math.min(6, real / estimate));
      calibrated = true;
    }
  };
  // A server that lists a tokenizer but fails to answer it is counted by the calibrated estimate from then on.
  let tokenizerFailed = false;
  return async () => {
    const l = await limits();
    return {
      contextTokens: l.contextTokens,
      async countPrompt(req, signal, room) {
        const estimate = estimatePrompt(req);
        const guess = Math.ceil(estimate * ratio);
        if (room !== undefined && calibrated && guess * CLEAR_MARGIN <= room) return { tokens: guess, exact: false };
        if (l.countPrompt && !tokenizerFailed) {
          const key = createHash('sha1').update(JSON.stringify([req.system ?? '', req.messages])).digest('base64');
          const hit = cache.get(key);
          if (hit !== undefined) return { tokens: hit, exact: true };
          const real = await l.countPrompt(req, signal).catch(() => {
            if (!signal?.aborted) tokenizerFailed = true;
            return null;
          });
          if (real !== null) {
            if (cache.size >= CACHE_MAX) cache.delete(cache.keys().next().value!);
            cache.set(key, real);
            learn(estimate, real);
            return { tokens: real, exact: true };
          }
        }
        return { tokens: guess, exact: false };
      },
      charsPerToken(signal) {
        cpt ??= (async () => {
          const n = l.countText ? await l.countText(SAMPLE, signal).catch(() => null) : null;
          return SAMPLE.length / (n ?? estimateTokens(SAMPLE) * ratio);
        })();
        return cpt;
      },
      observe(req, inputTokens) {
        // The provider's own usage keeps the ratio honest between exact counts (it includes the chat template).
        learn(estimatePrompt(req), inputTokens);
      },
    };
  };
}
