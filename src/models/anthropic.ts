/**
 * Anthropic Messages API over @anthropic-ai/sdk (SDK retries off: router.ts retries and ledgers each attempt).
 * JSON output goes through a single forced tool whose input_schema is the wanted schema; its input_json_delta
 * pieces are streamed as text so callers see the JSON arrive like any other reply.
 */
import Anthropic from '@anthropic-ai/sdk';
import type { AnthropicModelConfig } from '../config/schema.js';
import { CancelledError, ModelError } from '../errors.js';
import { toLunaError } from './sdk-errors.js';
import { collect, deadline, stripModelPrefix, estimateUsage, resolveApiKey } from './shared.js';
import type { GenerateRequest, GenerateResult, ModelClient, PingResult, StreamChunk, Usage } from './types.js';

const DEFAULT_MAX_TOKENS = 1024;

export function createAnthropicClient(name: string, cfg: AnthropicModelConfig, opts: { env?: NodeJS.ProcessEnv } = {}): ModelClient {
  const env = opts.env ?? process.env;
  let sdk: Anthropic | null = null;
  const client = (): Anthropic => {
    if (sdk) return sdk;
    const apiKey = resolveApiKey(name, cfg, env, true);
    // The SDK appends /v1/messages itself; accept base URLs written either way.
    const baseURL = cfg.baseUrl?.replace(/\/+$/, '').replace(/\/v1$/, '');
    sdk = new Anthropic({ apiKey, baseURL, maxRetries: 0, timeout: cfg.timeoutMs });
    return sdk;
  };

  async function* stream(req: GenerateRequest): AsyncIterable<StreamChunk> {
    const timeoutMs = req.timeoutMs ?? cfg.timeoutMs;
    const dl = deadline(timeoutMs, req.signal);
    let text = '';
    let input: number | null = null;
    let cached = 0;
    let output: number | null = null;
    let stopReason: string | null = null;
    let stopped = false;
    try {
      const params: Anthropic.MessageCreateParamsStreaming = {
        model: cfg.model,
        max_tokens: req.maxTokens ?? cfg.maxTokens ?? DEFAULT_MAX_TOKENS,
        messages: req.messages.map((m) => ({ role: m.role, content: m.content })),
        stream: true,
      };
      if (req.system) params.system = req.system;
      // No temperature: this SDK's Messages types dropped the parameter (current models reject it).
      if (req.stop?.length) params.stop_sequences = req.stop;
      if (req.json) {
        const toolName = req.json.name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 64) || 'reply';
        params.tools = [{ name: toolName, description: `Record the ${req.json.name} as structured data.`, input_schema: req.json.schema as Anthropic.Tool.InputSchema }];
        params.tool_choice = { type: 'tool', name: toolName };
      }
      const s = await client().messages.create(params, { signal: dl.signal, timeout: timeoutMs, maxRetries: 0 });
      for await (const ev of s) {
        switch (ev.type) {
          case 'message_start': {
            const u = ev.message.usage;
            cached = u.cache_read_input_tokens ?? 0;
            // input_tokens excludes cache reads and writes; LUNA's inputTokens is the whole prompt.
            input = u.input_tokens + cached + (u.cache_creation_input_tokens ?? 0);
            if (u.output_tokens) output = u.output_tokens;
            break;
          }
          case 'content_block_delta': {
            const piece = ev.delta.type === 'text_delta' ? ev.delta.text : ev.delta.type === 'input_json_delta' ? ev.delta.partial_json : '';
            if (piece) {
              text += piece;
              yield { type: 'text', text: piece };
            }
            break;
          }
          case 'message_delta':
            stopReason = ev.delta.stop_reason ?? stopReason;
            output = ev.usage.output_tokens;
            break;
          case 'message_stop':
            stopped = true;
            break;
          default:
            break;
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
    if (!stopped) throw new ModelError(`${name}: stream cut: ended before message_stop`, { retryable: true });
    const usage: Usage = input === null || output === null
      ? estimateUsage(req, text)
      : { inputTokens: input, outputTokens: output, cachedTokens: cached, estimated: false };
    yield { type: 'done', usage, finishReason: stopReason };
  }

  return {
    name,
    provider: 'anthropic',
    modelId: cfg.model,
    stream,
    generate: (req: GenerateRequest): Promise<GenerateResult> => collect(stream(req)),
    async ping(signal?: AbortSignal): Promise<PingResult> {
      const started = performance.now();
      const timeoutMs = Math.min(cfg.timeoutMs, 5000);
      const dl = deadline(timeoutMs, signal);
      try {
        await client().models.list({ limit: 1 }, { signal: dl.signal, timeout: timeoutMs, maxRetries: 0 });
        return { ok: true, detail: 'reachable', latencyMs: performance.now() - started };
      } catch (err) {
        const e = toLunaError(err, { model: name, timeoutMs, timedOut: dl.timedOut, signal, midStream: false });
        return { ok: false, detail: stripModelPrefix(name, e.message), latencyMs: performance.now() - started };
      } finally {
        dl.clear();
      }
    },
    async close() { sdk = null; },
  };
}
