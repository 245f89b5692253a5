/**
 * Turns what the openai / @anthropic-ai/sdk clients throw into LUNA errors. Both SDKs are Stainless-built
 * and share error shapes (status, headers, error body), so this matches on properties rather than classes —
 * which also keeps the SDKs out of this module's imports.
 */
import { AuthError, CancelledError, isAbortError, LunaError, ModelError, redactSecrets } from '../errors.js';

interface SdkErrorLike {
  name?: string;
  message?: string;
  status?: number;
  headers?: { get(name: string): string | null } | Record<string, string>;
  error?: unknown;
  cause?: unknown;
}

/** Statuses worth another attempt: rate limits, server faults, Anthropic's 529 overload, request timeouts. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 409 || status === 429 || status >= 500;
}

export function parseRetryAfter(headers: SdkErrorLike['headers'], now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (k: string): string | null =>
    typeof (headers as { get?: unknown }).get === 'function'
      ? (headers as { get(n: string): string | null }).get(k)
      : (headers as Record<string, string>)[k] ?? null;
  const ms = get('retry-after-ms');
  if (ms !== null && ms.trim() !== '' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const ra = get('retry-after');
  if (ra === null || ra.trim() === '') return undefined;
  if (Number.isFinite(Number(ra))) return Math.max(0, Number(ra) * 1000);
  const date = Date.parse(ra);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

export interface ErrorContext {
  /** Config name of the model, used as the message prefix. */
  model: string;
  timeoutMs: number;
  /** True when our own timer (not the caller) aborted the request. */
  timedOut: boolean;
  signal?: AbortSignal;
  /** True when the provider had already streamed text: a failure now is a cut stream. */
  midStream: boolean;
}

/** Never returns an abort as a ModelError: callers must stop, not retry, when the user cancels. */
export function toLunaError(err: unknown, ctx: ErrorContext): Error {
  if (ctx.timedOut) {
    return new ModelError(`${ctx.model}: no complete reply within ${ctx.timeoutMs}ms (timed out)`, { retryable: true, cause: err });
  }
  if (ctx.signal?.aborted) return isAbortError(err) ? (err as Error) : new CancelledError();
  if (isAbortError(err)) return err as Error;
  if (err instanceof LunaError) return err;
  const e = (err ?? {}) as SdkErrorLike;
  const name = e.name ?? '';
  if (typeof e.status === 'number') {
    const detail = describeBody(e.error) ?? stripStatus(e.message ?? '');
    const msg = redactSecrets(`${ctx.model}: HTTP ${e.status}${detail ? ` ${detail}` : ''}`);
    if (e.status === 401 || e.status === 403) {
      return new AuthError(msg, { hint: 'check the API key for this model (apiKeyEnv in luna.yaml)', cause: err });
    }
    const overflow = e.status === 400 || e.status === 413 ? contextOverflowIn(e.error, e.message ?? '') : null;
    if (overflow) {
      const sizes = overflow.promptTokens && overflow.contextTokens ? ` (prompt ${overflow.promptTokens} tokens, window ${overflow.contextTokens})` : overflow.contextTokens ? ` (window ${overflow.contextTokens} tokens)` : '';
      return new ModelError(redactSecrets(`${ctx.model}: the prompt is larger than the model's context window${sizes}`), {
        status: e.status,
        contextOverflow: overflow,
        hint: `give the server a larger context (llama-server -c N, vLLM --max-model-len N), or set models.${ctx.model}.contextTokens to the real window so prompts are trimmed to it`,
        cause: err,
      });
    }
    const retryAfterMs = parseRetryAfter(e.headers);
    return new ModelError(msg, {
      retryable: isRetryableStatus(e.status),
      status: e.status,
      retryAfterMs,
      // A rate limit is not a model that is down: say how long the provider asks to wait.
      ...(e.status === 429 ? { hint: `rate limited${retryAfterMs !== undefined ? `: the provider asks to wait ${Math.ceil(retryAfterMs / 1000)} s` : ''}; try again then, or give the agent a fallback model (agents.<agent>.fallbacks)` } : {}),
      cause: err,
    });
  }
  if (name === 'APIConnectionTimeoutError') {
    return new ModelError(`${ctx.model}: request timed out after ${ctx.timeoutMs}ms`, { retryable: true, cause: err });
  }
  if (name === 'APIConnectionError') {
    return new ModelError(redactSecrets(`${ctx.model}: connection failed: ${causeText(err)}`), { retryable: true, cause: err });
  }
  if (err instanceof SyntaxError || /JSON/.test(e.message ?? '')) {
    return new ModelError(redactSecrets(`${ctx.model}: malformed reply from server: ${e.message ?? 'invalid JSON'}`), { retryable: false, cause: err });
  }
  // undici reports a socket dropped mid-body as TypeError('terminated') with the reset as its cause.
  const text = causeText(err);
  const cut = ctx.midStream || /terminated|ECONNRESET|socket|closed|aborted|premature/i.test(text);
  return new ModelError(redactSecrets(`${ctx.model}: ${cut ? 'stream cut' : 'request failed'}: ${text}`), { retryable: true, cause: err });
}

/**
 * A context-window refusal in any of the dialects: llama.cpp (type exceed_context_size_error, with n_prompt_tokens
 * and n_ctx), OpenAI (code context_length_exceeded), vLLM and others ("maximum context length is N tokens").
 */
function contextOverflowIn(body: unknown, message: string): { promptTokens: number | null; contextTokens: number | null } | null {
  const b = (body && typeof body === 'object' ? body : {}) as { type?: unknown; code?: unknown; message?: unknown; n_prompt_tokens?: unknown; n_ctx?: unknown; error?: Record<string, unknown> };
  const inner = (b.error && typeof b.error === 'object' ? b.error : b) as typeof b;
  const text = `${String(inner.message ?? '')} ${message}`;
  const named = inner.type === 'exceed_context_size_error' || inner.code === 'context_length_exceeded';
  if (!named && !/context (length|size|window)|maximum context|exceeds the available context|too many tokens/i.test(text)) return null;
  const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : null);
  const window = num(inner.n_ctx) ?? num(Number(/(?:maximum context length is|context size \() ?(\d+)/i.exec(text)?.[1]));
  const prompt = num(inner.n_prompt_tokens) ?? num(Number(/(?:requested|resulted in|prompt (?:has|of)|(?:request|input) \() ?(\d+) tokens/i.exec(text)?.[1]));
  return { promptTokens: prompt, contextTokens: window };
}

function describeBody(body: unknown): string | undefined {
  if (!body || typeof body !== 'object') return undefined;
  const b = body as { type?: string; message?: string; code?: unknown; error?: { type?: string; message?: string } };
  // Anthropic nests {type:'error', error:{type,message}}; OpenAI's SDK hands over the inner {message,type,code}.
  // llama.cpp's code is the HTTP status again: only a string code (OpenAI's) says more than the status does.
  const inner = b.error && typeof b.error === 'object' ? b.error : b;
  const kind = (b.error ? inner.type : (typeof b.code === 'string' ? b.code : undefined) ?? b.type) ?? '';
  const message = inner.message ?? '';
  const text = [kind, message].filter(Boolean).join(': ');
  return text || undefined;
}

function stripStatus(message: string): string {
  return message.replace(/^\d{3}\s*/, '');
}

function causeText(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let i = 0; i < 4 && cur; i++) {
    const c = cur as { message?: string; code?: string; cause?: unknown };
    if (c.message) parts.push(c.code ? `${c.message} (${c.code})` : c.message);
    else if (c.code) parts.push(c.code);
    cur = c.cause;
  }
  return [...new Set(parts)].join(': ') || String(err);
}
