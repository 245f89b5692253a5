/**
 * OpenAI Chat Completions over the official `openai` SDK: OpenAI itself, LM Studio, llama.cpp server, vLLM,
 * Ollama and Gemini's OpenAI-compatible endpoint all speak it, so one client with a per-model base URL covers them.
 * The SDK's own retries are off (maxRetries: 0): router.ts owns retries so every attempt reaches the ledger.
 */
import OpenAI from 'openai';
import type { ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { OpenAIModelConfig } from '../config/schema.js';
import { CancelledError, ModelError } from '../errors.js';
import { toLunaError } from './sdk-errors.js';
import { collect, deadline, stripModelPrefix, estimateUsage, isPrivateBaseUrl, jsonInstruction, resolveApiKey } from './shared.js';
import type { GenerateRequest, GenerateResult, ModelClient, ModelLimits, PingResult, StreamChunk, Usage } from './types.js';
import { probeEndpoint, serverCounters, type EndpointInfo } from './openai-probe.js';
import { geminiSchema, isGemini, isReasoningModel, reasoningEffortFor, StopCutter } from './upstream-dialect.js';

export interface OpenAICompatibleOptions {
  env?: NodeJS.ProcessEnv;
  /** Endpoints from serve/burst carry their own key (or none); skip the env-var requirement. */
  apiKeyOverride?: string | null;
}

export function createOpenAICompatibleClient(name: string, cfg: OpenAIModelConfig, opts: OpenAICompatibleOptions = {}): ModelClient {
  const env = opts.env ?? process.env;
  let sdk: OpenAI | null = null;
  const client = (): OpenAI => {
    if (sdk) return sdk;
    const apiKey = opts.apiKeyOverride !== undefined
      ? opts.apiKeyOverride ?? 'no-key'
      : resolveApiKey(name, cfg, env, !isPrivateBaseUrl(cfg.baseUrl)) ?? 'no-key';
    sdk = new OpenAI({ apiKey, baseURL: cfg.baseUrl, maxRetries: 0, timeout: cfg.timeoutMs });
    return sdk;
  };
  const authHeaders = (): Record<string, string> => {
    const key = client().apiKey;
    return key && key !== 'no-key' ? { authorization: `Bearer ${key}` } : {};
  };
  // Asked once per client and remembered: which server this is, its window, its tokenizer.
  let probe: Promise<EndpointInfo> | null = null;
  const info = (signal?: AbortSignal): Promise<EndpointInfo> => {
    probe ??= probeEndpoint(cfg.baseUrl, cfg.model, authHeaders(), signal).catch(() => ({ kind: 'openai' as const, contextTokens: null }));
    return probe;
  };
  // A server that refused response_format json_schema once is asked the fallback way from then on.
  let jsonSchemaRefused = false;

  async function* stream(req: GenerateRequest): AsyncIterable<StreamChunk> {
    const timeoutMs = req.timeoutMs ?? cfg.timeoutMs;
    const dl = deadline(timeoutMs, req.signal);
    let text = '';
    let usage: Usage | null = null;
    let finishReason: string | null = null;
    try {
      const wantsSchema = Boolean(req.json) && cfg.jsonSchema && !jsonSchemaRefused;
      const kind = req.json && !wantsSchema ? (await info(dl.signal)).kind : 'openai';
      const params = buildParams(cfg, req, wantsSchema ? 'json_schema' : kind === 'llamacpp' ? 'llamacpp' : kind === 'vllm' ? 'vllm' : 'json_object');
      // A model that refuses `stop` still ends at one: the cut happens here instead.
      const cutter = req.stop?.length && params.stop === undefined ? new StopCutter(req.stop.slice(0, 4)) : null;
      const s = await client().chat.completions.create(params, { signal: dl.signal, timeout: timeoutMs, maxRetries: 0 }).catch((err: unknown) => {
        if (wantsSchema && refusesSchema(err)) jsonSchemaRefused = true;
        throw err;
      });
      for await (const chunk of s) {
        if (chunk.usage) {
          usage = {
            inputTokens: chunk.usage.prompt_tokens,
            outputTokens: chunk.usage.completion_tokens,
            cachedTokens: chunk.usage.prompt_tokens_details?.cached_tokens ?? 0,
            estimated: false,
          };
        }
        const choice = chunk.choices[0];
        if (choice?.finish_reason) finishReason = choice.finish_reason;
        const raw = choice?.delta?.content;
        const delta = raw && cutter ? cutter.push(raw) : raw;
        if (delta) {
          text += delta;
          yield { type: 'text', text: delta };
        }
        if (cutter?.stopped) {
          finishReason = 'stop';
          break;
        }
      }
      const rest = cutter?.flush();
      if (rest) {
        text += rest;
        yield { type: 'text', text: rest };
      }
    } catch (err) {
      if (jsonSchemaRefused && text.length === 0 && refusesSchema(err) && !req.signal?.aborted) {
        dl.clear();
        yield* stream(req);
        return;
      }
      throw toLunaError(err, { model: name, timeoutMs, timedOut: dl.timedOut, signal: req.signal, midStream: text.length > 0 });
    } finally {
      dl.clear();
    }
    // The SDKs end a stream quietly when its signal aborts; tell a cancel from our own deadline.
    if (req.signal?.aborted) throw new CancelledError();
    if (dl.timedOut) throw new ModelError(`${name}: no complete reply within ${timeoutMs}ms (timed out)`, { retryable: true });
    // A stream that closed without a finish_reason was cut by a proxy or a dying server.
    if (finishReason === null) throw new ModelError(`${name}: stream cut: ended without a finish reason`, { retryable: true });
    yield { type: 'done', usage: usage ?? estimateUsage(req, text), finishReason };
  }

  return {
    name,
    provider: 'openai-compatible',
    modelId: cfg.model,
    stream,
    generate: (req: GenerateRequest): Promise<GenerateResult> => collect(stream(req)),
    async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
      const dl = deadline(cfg.timeoutMs, signal);
      try {
        const r = await client().embeddings.create({ model: cfg.model, input: texts, encoding_format: 'float' }, { signal: dl.signal, maxRetries: 0 });
        const out = [...r.data].sort((a, b) => a.index - b.index).map((d) => Float32Array.from(d.embedding));
        if (out.length !== texts.length) throw new ModelError(`${name}: expected ${texts.length} embeddings, got ${out.length}`);
        return out;
      } catch (err) {
        throw toLunaError(err, { model: name, timeoutMs: cfg.timeoutMs, timedOut: dl.timedOut, signal, midStream: false });
      } finally {
        dl.clear();
      }
    },
    async limits(signal?: AbortSignal): Promise<ModelLimits> {
      const i = await info(signal);
      return { contextTokens: cfg.contextTokens ?? i.contextTokens, ...serverCounters(i, cfg.baseUrl, cfg.model, authHeaders()) };
    },
    async ping(signal?: AbortSignal): Promise<PingResult> {
      const started = performance.now();
      const dl = deadline(Math.min(cfg.timeoutMs, 5000), signal);
      try {
        const page = await client().models.list({ signal: dl.signal, maxRetries: 0, timeout: Math.min(cfg.timeoutMs, 5000) });
        const ids = page.data.map((m) => m.id);
        const listed = ids.length === 0 || ids.some((id) => id === cfg.model || id.endsWith(`/${cfg.model}`) || cfg.model.endsWith(`/${id}`));
        return { ok: true, detail: listed ? `${ids.length} model(s) served` : `reachable; ${cfg.model} not listed`, latencyMs: performance.now() - started };
      } catch (err) {
        const e = toLunaError(err, { model: name, timeoutMs: Math.min(cfg.timeoutMs, 5000), timedOut: dl.timedOut, signal, midStream: false });
        return { ok: false, detail: stripModelPrefix(name, e.message), latencyMs: performance.now() - started };
      } finally {
        dl.clear();
      }
    },
    async close() { sdk = null; },
  };
}

/**
 * How a JSON reply is constrained: response_format json_schema where the server takes it; otherwise the
 * server's own schema field where it has one (llama.cpp `json_schema`, vLLM `guided_json`: both compile the
 * schema to a grammar); json_object with the schema in the prompt as the last resort.
 */
type JsonMode = 'json_schema' | 'llamacpp' | 'vllm' | 'json_object';

/** A 400 that names the structured-output parameter: the server does not take response_format json_schema. */
function refusesSchema(err: unknown): boolean {
  const e = err as { status?: number; message?: string } | null;
  return e?.status === 400 && /response_format|json_schema|structured/i.test(e.message ?? '');
}

function buildParams(cfg: OpenAIModelConfig, req: GenerateRequest, mode: JsonMode): ChatCompletionCreateParamsStreaming {
  let system = req.system;
  const params: ChatCompletionCreateParamsStreaming = {
    model: cfg.model,
    messages: [],
    stream: true,
    stream_options: { include_usage: true },
  };
  const maxTokens = req.maxTokens ?? cfg.maxTokens;
  const reasoning = isReasoningModel(cfg);
  // Reasoning models count hidden reasoning in max_completion_tokens and refuse max_tokens, stop and temperature.
  if (maxTokens !== undefined) {
    if (reasoning) params.max_completion_tokens = maxTokens;
    else params.max_tokens = maxTokens;
  }
  if (req.temperature !== undefined && !reasoning) params.temperature = req.temperature;
  if (req.stop?.length && !reasoning) params.stop = req.stop.slice(0, 4);
  const effort = reasoningEffortFor(cfg);
  if (effort !== undefined) (params as unknown as Record<string, unknown>).reasoning_effort = effort;
  if (req.json) {
    if (mode === 'json_schema') {
      const schema = isGemini(cfg) ? geminiSchema(req.json.schema) : req.json.schema;
      params.response_format = { type: 'json_schema', json_schema: { name: safeName(req.json.name), schema, strict: true } };
    } else if (mode === 'llamacpp') {
      (params as unknown as Record<string, unknown>).json_schema = req.json.schema;
    } else if (mode === 'vllm') {
      (params as unknown as Record<string, unknown>).guided_json = req.json.schema;
    } else {
      // json_object needs the word "JSON" in the prompt and gives no schema guarantee, so the schema goes in too.
      params.response_format = { type: 'json_object' };
      system = [system, jsonInstruction(req.json.schema)].filter(Boolean).join('\n\n');
    }
  }
  const messages: ChatCompletionMessageParam[] = [];
  if (system) messages.push({ role: 'system', content: system });
  for (const m of req.messages) messages.push({ role: m.role, content: m.content });
  params.messages = messages;
  return params;
}

function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'reply';
}
