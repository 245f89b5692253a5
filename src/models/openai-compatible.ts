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
import type { GenerateRequest, GenerateResult, ModelClient, PingResult, StreamChunk, Usage } from './types.js';

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

  async function* stream(req: GenerateRequest): AsyncIterable<StreamChunk> {
    const timeoutMs = req.timeoutMs ?? cfg.timeoutMs;
    const dl = deadline(timeoutMs, req.signal);
    let text = '';
    let usage: Usage | null = null;
    let finishReason: string | null = null;
    try {
      const s = await client().chat.completions.create(buildParams(cfg, req), { signal: dl.signal, timeout: timeoutMs, maxRetries: 0 });
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
        const delta = choice?.delta?.content;
        if (delta) {
          text += delta;
          yield { type: 'text', text: delta };
        }
      }
    } catch (err) {
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

function buildParams(cfg: OpenAIModelConfig, req: GenerateRequest): ChatCompletionCreateParamsStreaming {
  let system = req.system;
  const params: ChatCompletionCreateParamsStreaming = {
    model: cfg.model,
    messages: [],
    stream: true,
    stream_options: { include_usage: true },
  };
  const maxTokens = req.maxTokens ?? cfg.maxTokens;
  if (maxTokens !== undefined) params.max_tokens = maxTokens;
  if (req.temperature !== undefined) params.temperature = req.temperature;
  if (req.stop?.length) params.stop = req.stop.slice(0, 4);
  if (req.json) {
    if (cfg.jsonSchema) {
      params.response_format = { type: 'json_schema', json_schema: { name: safeName(req.json.name), schema: req.json.schema, strict: true } };
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
