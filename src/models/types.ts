/**
 * One model interface for every backend: openai-compatible (openai SDK), anthropic (@anthropic-ai/sdk)
 * and local GGUF (node-llama-cpp). Retries, fallbacks and ledger records live in router.ts, not here.
 */

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** A JSON Schema object (draft 2020-12 subset that OpenAI, Anthropic tools and llama.cpp grammars all accept). */
export type JsonSchema = Record<string, unknown>;

export interface GenerateRequest {
  system?: string;
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  stop?: string[];
  /** Constrain output to JSON matching this schema (response_format, tool use, or a grammar). */
  json?: { name: string; schema: JsonSchema };
  signal?: AbortSignal;
  /** Overrides the model's configured timeout for this request. */
  timeoutMs?: number;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  cachedTokens: number;
  /** True when counts are a tokenizer estimate because the provider reported none. */
  estimated: boolean;
}

export type StreamChunk =
  | { type: 'text'; text: string }
  | { type: 'done'; usage: Usage; finishReason: string | null };

export interface GenerateResult {
  text: string;
  usage: Usage;
  finishReason: string | null;
  latencyMs: number;
  ttftMs: number | null;
}

export interface PingResult {
  ok: boolean;
  detail: string;
  latencyMs: number;
}

/** What a prompt must fit: the model's context window and its own token counts, where they can be had. */
export interface ModelLimits {
  /** Tokens the context window holds (prompt and reply together), or null when unknown. */
  contextTokens: number | null;
  /** The model's count of a request's prompt tokens, chat template included; null without a tokenizer at hand. */
  countPrompt: ((req: GenerateRequest, signal?: AbortSignal) => Promise<number>) | null;
  /** The model's count of a bare text's tokens; null without a tokenizer at hand. */
  countText: ((text: string, signal?: AbortSignal) => Promise<number>) | null;
}

export interface ModelClient {
  /** The config name (key under `models:`). */
  readonly name: string;
  readonly provider: 'local' | 'openai-compatible' | 'anthropic';
  /** The provider's model id (or the GGUF file name). */
  readonly modelId: string;
  /** Streams text deltas, then exactly one `done` chunk. Throws ModelError (retryable flag set) or an abort error. */
  stream(req: GenerateRequest): AsyncIterable<StreamChunk>;
  /** Convenience: collects stream(). */
  generate(req: GenerateRequest): Promise<GenerateResult>;
  /** Embedding vectors; throws ModelError when the backend has none. */
  embed?(texts: string[], signal?: AbortSignal): Promise<Float32Array[]>;
  /** Context window and tokenizer, discovered once per client (a server's /models, a GGUF's own). Never throws. */
  limits?(signal?: AbortSignal): Promise<ModelLimits>;
  /** Cheap reachability check for `luna models list` / `doctor` / the status bar. Never throws. */
  ping(signal?: AbortSignal): Promise<PingResult>;
  close(): Promise<void>;
}
