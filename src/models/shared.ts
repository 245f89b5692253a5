/** Pieces every provider needs: per-request deadlines, usage estimates, and generate() over stream(). */
import { AuthError, ModelError } from '../errors.js';
import { estimateTokens } from '../util/tokens.js';
import type { GenerateRequest, GenerateResult, StreamChunk, Usage } from './types.js';
import { isPrivateHost } from '../util/private-host.js';

export interface Deadline {
  signal: AbortSignal;
  /** True once our own timer fired (as opposed to the caller aborting). */
  readonly timedOut: boolean;
  clear(): void;
}

/** One signal that fires on the caller's abort or after timeoutMs, whichever comes first. */
export function deadline(timeoutMs: number, outer?: AbortSignal): Deadline {
  const ctl = new AbortController();
  let timedOut = false;
  const onAbort = () => ctl.abort(outer?.reason);
  if (outer?.aborted) ctl.abort(outer.reason);
  else outer?.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort(new ModelError(`timed out after ${timeoutMs}ms`, { retryable: true }));
  }, timeoutMs);
  timer.unref?.();
  return {
    signal: ctl.signal,
    get timedOut() { return timedOut; },
    clear() {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    },
  };
}

export function promptText(req: GenerateRequest): string {
  return [req.system ?? '', ...req.messages.map((m) => m.content)].join('\n');
}

/** Tokenizer-free estimate for servers that report no usage (some llama.cpp/Ollama builds). */
export function estimateUsage(req: GenerateRequest, output: string): Usage {
  const perMessage = 4;
  return {
    inputTokens: estimateTokens(promptText(req)) + perMessage * (req.messages.length + (req.system ? 1 : 0)),
    outputTokens: estimateTokens(output),
    cachedTokens: 0,
    estimated: true,
  };
}

/** Collects a stream into a result, timing the first text chunk. */
export async function collect(stream: AsyncIterable<StreamChunk>, onText?: (text: string) => void): Promise<GenerateResult> {
  const started = performance.now();
  let ttftMs: number | null = null;
  let text = '';
  for await (const chunk of stream) {
    if (chunk.type === 'text') {
      if (ttftMs === null) ttftMs = performance.now() - started;
      text += chunk.text;
      onText?.(chunk.text);
    } else {
      return { text, usage: chunk.usage, finishReason: chunk.finishReason, latencyMs: performance.now() - started, ttftMs };
    }
  }
  throw new ModelError('stream ended without a final usage chunk', { retryable: true });
}

/** The key from config or its env var; AuthError names the variable, never a value. */
export function resolveApiKey(
  model: string,
  cfg: { apiKey?: string; apiKeyEnv: string },
  env: NodeJS.ProcessEnv,
  required: boolean,
): string | undefined {
  const key = cfg.apiKey ?? env[cfg.apiKeyEnv];
  if (key && key.trim()) return key.trim();
  if (!required) return undefined;
  throw new AuthError(`model ${model}: no API key: ${cfg.apiKeyEnv} is not set`, {
    hint: `export ${cfg.apiKeyEnv}=… (or set models.${model}.apiKeyEnv to the variable that holds it)`,
  });
}

/** Loopback and private-network servers (LM Studio, llama.cpp, vLLM, Ollama) usually run without a key. */
/** Whether a base URL points at this machine or a private network (no API key needed there). */
export function isPrivateBaseUrl(baseUrl: string): boolean {
  try {
    return isPrivateHost(new URL(baseUrl).hostname);
  } catch {
    return false;
  }
}

export function jsonInstruction(schema: unknown): string {
  return `Reply with only a JSON object (no prose, no code fences) that matches this JSON Schema:\n${JSON.stringify(schema)}`;
}

/** `model x: …` / `x: …` → `…`, for places (ping details, tables) that already show the model name. */
export function stripModelPrefix(name: string, message: string): string {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return message.replace(new RegExp(`^(model )?${escaped}: `), '');
}
