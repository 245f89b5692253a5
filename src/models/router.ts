/**
 * One agent call with retries and fallbacks, every attempt priced and recorded for the ledger.
 * Retryable failures back off exponentially with full jitter (honouring the server's retry-after), up to the
 * model's maxRetries; then each fallback model is tried in order. An abort stops everything at once.
 */
import { AuthError, CancelledError, isAbortError, LunaError, ModelError } from '../errors.js';
import type { CallOutcome, LedgerAgent, LedgerRow } from '../store/types.js';
import type { Endpoint } from './endpoints.js';
import { priceCall } from './pricing.js';
import type { ModelRegistry } from './registry.js';
import { estimateUsage } from './shared.js';
import type { GenerateRequest, GenerateResult, Usage } from './types.js';

export type LedgerCallRecord = Omit<LedgerRow, 'accountId' | 'storyId' | 'turnId'>;

export interface AgentModelConfig {
  model: string;
  fallbacks?: string[];
  maxTokens?: number;
  temperature?: number;
}

export interface CallOptions {
  onText?: (text: string) => void;
  /** Called before a retry or fallback when text from a failed attempt was already passed to onText: discard it. */
  onRestart?: (info: { model: string; reason: string }) => void;
  signal?: AbortSignal;
  /** Injectable for tests; resolves early (rejects) when the signal aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  random?: () => number;
}

export interface CallResult {
  result: GenerateResult;
  /** Config name of the model that answered. */
  modelName: string;
  calls: LedgerCallRecord[];
}

export const BACKOFF_BASE_MS = 500;
export const BACKOFF_CAP_MS = 8_000;
/** A server asking for a longer wait than this sends us to the next model instead. */
export const MAX_RETRY_AFTER_MS = 20_000;

/** Thrown when every model failed; `calls` holds the failed attempts so the ledger still records them. */
export class AllModelsFailedError extends ModelError {
  readonly calls: LedgerCallRecord[];
  constructor(message: string, calls: LedgerCallRecord[], opts: { hint?: string; cause?: unknown; retryable?: boolean } = {}) {
    super(message, opts);
    this.calls = calls;
  }
}

/** The ledger records attached to an error thrown by callModel (also on aborts), or []. */
export function callsOf(err: unknown): LedgerCallRecord[] {
  const c = (err as { calls?: unknown } | null)?.calls;
  return Array.isArray(c) ? (c as LedgerCallRecord[]) : [];
}

export function backoffMs(attempt: number, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(BACKOFF_CAP_MS, BACKOFF_BASE_MS * 2 ** attempt);
  const jitter = random() * ceiling;
  return retryAfterMs !== undefined ? Math.max(retryAfterMs, jitter) : jitter;
}

export async function callModel(
  registry: ModelRegistry,
  agentConfig: AgentModelConfig,
  agent: LedgerAgent,
  req: GenerateRequest,
  opts: CallOptions = {},
): Promise<CallResult> {
  const sleep = opts.sleep ?? abortableSleep;
  const random = opts.random ?? Math.random;
  const signal = opts.signal ?? req.signal;
  const models = [agentConfig.model, ...(agentConfig.fallbacks ?? []).filter((m) => m !== agentConfig.model)];
  const calls: LedgerCallRecord[] = [];
  const reasons: string[] = [];
  let firstHint: string | undefined;
  let emitted = false;
  let lastError: unknown;
  const finalErrors: unknown[] = [];
  // Why the last attempt failed, kept across models: a restart on a fallback must say what went wrong before.
  let lastFailure = '';

  for (const [index, modelName] of models.entries()) {
    const maxRetries = registry.modelConfig(modelName).maxRetries;
    let reason = '';
    for (let attempt = 0; attempt <= maxRetries; attempt++) {
      if (signal?.aborted) throw withCalls(new CancelledError(), calls);
      if (emitted) {
        if (!opts.onRestart) {
          // The caller already showed text from a failed stream and cannot take it back: stop rather than duplicate.
          throw failure(agent, [...reasons, `${modelName}: ${reason}`], calls, firstHint, lastError, 'stream failed after text was shown and the caller cannot restart');
        }
        opts.onRestart({ model: modelName, reason: reason || lastFailure });
        emitted = false;
      }
      const attemptReq: GenerateRequest = {
        ...req,
        signal,
        maxTokens: req.maxTokens ?? agentConfig.maxTokens,
        temperature: req.temperature ?? agentConfig.temperature,
      };
      const started = performance.now();
      let ttftMs: number | null = null;
      let partial = '';
      let resolved: Awaited<ReturnType<ModelRegistry['resolve']>> | null = null;
      try {
        resolved = await registry.resolve(modelName);
        let usage: Usage | null = null;
        let finishReason: string | null = null;
        for await (const chunk of resolved.client.stream(attemptReq)) {
          if (chunk.type === 'text') {
            ttftMs ??= performance.now() - started;
            partial += chunk.text;
            emitted = emitted || Boolean(opts.onText);
            opts.onText?.(chunk.text);
          } else {
            usage = chunk.usage;
            finishReason = chunk.finishReason;
          }
        }
        if (!usage) throw new ModelError(`${modelName}: stream ended without usage`, { retryable: true });
        const latencyMs = performance.now() - started;
        const outcome: CallOutcome = index > 0 ? 'fallback' : attempt > 0 ? 'retried' : 'ok';
        calls.push(record(registry, agent, modelName, resolved.client.modelId, resolved.endpoint, usage, latencyMs, ttftMs, outcome));
        return { result: { text: partial, usage, finishReason, latencyMs, ttftMs }, modelName, calls };
      } catch (err) {
        const latencyMs = performance.now() - started;
        if (isAbortError(err) || signal?.aborted) {
          if (resolved) calls.push(failedRecord(registry, agent, modelName, resolved.client.modelId, resolved.endpoint, attemptReq, partial, latencyMs, ttftMs));
          throw withCalls(isAbortError(err) ? err : new CancelledError(), calls);
        }
        lastError = err;
        registry.reportFailure(resolved?.endpoint ?? null);
        const modelId = resolved?.client.modelId ?? modelName;
        calls.push(failedRecord(registry, agent, modelName, modelId, resolved?.endpoint ?? null, attemptReq, partial, latencyMs, ttftMs));
        reason = err instanceof Error ? err.message.replace(new RegExp(`^(model )?${escapeRe(modelName)}: `), '') : String(err);
        lastFailure = `${modelName} failed: ${reason}`;
        if (err instanceof LunaError && err.hint && !firstHint) firstHint = err.hint;
        const retryable = err instanceof ModelError && err.retryable;
        const retryAfter = err instanceof ModelError ? err.retryAfterMs : undefined;
        if (!retryable || attempt === maxRetries || (retryAfter !== undefined && retryAfter > MAX_RETRY_AFTER_MS)) break;
        try {
          await sleep(backoffMs(attempt, random, retryAfter), signal);
        } catch {
          throw withCalls(new CancelledError(), calls);
        }
      }
    }
    reasons.push(`${modelName}: ${reason}`);
    finalErrors.push(lastError);
  }
  // Every model refused our credentials: that is an auth problem (exit 7), not a flaky endpoint.
  if (finalErrors.length && finalErrors.every((e) => e instanceof AuthError)) {
    throw withCalls(new AuthError(`no model for ${agent} accepted its credentials: ${reasons.join('; ')}`, { hint: firstHint }), calls);
  }
  throw failure(agent, reasons, calls, firstHint, lastError);
}

function failure(agent: string, reasons: string[], calls: LedgerCallRecord[], hint: string | undefined, cause: unknown, extra?: string): AllModelsFailedError {
  const message = `all models for ${agent} failed: ${reasons.join('; ')}${extra ? ` (${extra})` : ''}`;
  return new AllModelsFailedError(message, calls, { hint: hint ?? 'check `luna models list` for models that are down', cause });
}

function withCalls<E>(err: E, calls: LedgerCallRecord[]): E {
  if (err && typeof err === 'object') {
    try {
      Object.defineProperty(err, 'calls', { value: calls, enumerable: false, configurable: true });
    } catch {
      // frozen error objects simply go without
    }
  }
  return err;
}

function record(
  registry: ModelRegistry, agent: LedgerAgent, modelName: string, modelId: string, endpoint: Endpoint | null,
  usage: Usage, latencyMs: number, ttftMs: number | null, outcome: CallOutcome,
): LedgerCallRecord {
  const modelConfig = registry.config.models[modelName];
  const via = endpoint?.source ?? null;
  const priced = priceCall(registry.prices, { modelName, modelConfig, modelId, usage, via });
  return {
    agent,
    provider: via ?? modelConfig?.provider ?? 'unknown',
    model: modelId,
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cachedTokens: usage.cachedTokens,
    estimated: usage.estimated,
    latencyMs: Math.round(latencyMs),
    ttftMs: ttftMs === null ? null : Math.round(ttftMs),
    outcome,
    costUsd: priced.costUsd,
    priceInPerMTok: priced.priceInPerMTok,
    priceOutPerMTok: priced.priceOutPerMTok,
    instanceId: null,
  };
}

/** A failed attempt: no tokens unless text was streamed, then an estimate (providers bill cut streams). */
function failedRecord(
  registry: ModelRegistry, agent: LedgerAgent, modelName: string, modelId: string, endpoint: Endpoint | null,
  req: GenerateRequest, partial: string, latencyMs: number, ttftMs: number | null,
): LedgerCallRecord {
  const usage: Usage = partial
    ? estimateUsage(req, partial)
    : { inputTokens: 0, outputTokens: 0, cachedTokens: 0, estimated: false };
  return record(registry, agent, modelName, modelId, endpoint, usage, latencyMs, ttftMs, 'failed');
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError());
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new CancelledError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
