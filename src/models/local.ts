/**
 * Local GGUF inference with node-llama-cpp. Base models (`chat: false`, e.g. TinyStories) get a plain-text
 * completion prompt; chat models go through LlamaChatSession and the model's own template. Usage is counted
 * with the model's tokenizer (exact, never estimated). One context per client, generations serialised.
 */
import type { LlamaChatSession, LlamaContext, LlamaContextSequence, LlamaGrammar, LlamaModel, Token } from 'node-llama-cpp';
import type { LocalModelConfig } from '../config/schema.js';
import { CancelledError, isAbortError, LunaError, ModelError } from '../errors.js';
import { Channel, getSharedLlama, loadSharedModel, Mutex } from './local-runtime.js';
import { collect, deadline } from './shared.js';
import type { GenerateRequest, GenerateResult, ModelClient, ModelLimits, PingResult, StreamChunk } from './types.js';
import { buildChatHistory, completionPrompt } from './local-prompt.js';

const DEFAULT_MAX_TOKENS = 256;

interface Loaded {
  model: LlamaModel;
  context: LlamaContext;
  sequence: LlamaContextSequence;
}

export function createLocalClient(name: string, cfg: LocalModelConfig): ModelClient {
  const mutex = new Mutex();
  let loaded: Promise<Loaded> | null = null;
  const grammars = new Map<string, Promise<LlamaGrammar>>();
  let embedder: Promise<import('node-llama-cpp').LlamaEmbeddingContext> | null = null;

  const load = (): Promise<Loaded> => {
    loaded ??= (async () => {
      const model = await loadSharedModel(name, cfg.path, cfg.gpu, cfg.threads);
      const context = await model.createContext({ contextSize: Math.min(cfg.contextSize, model.trainContextSize), threads: cfg.threads, sequences: 1 });
      return { model, context, sequence: context.getSequence() };
    })();
    loaded.catch(() => { loaded = null; });
    return loaded;
  };

  const grammarFor = async (schema: object): Promise<LlamaGrammar> => {
    const key = JSON.stringify(schema);
    let g = grammars.get(key);
    if (!g) {
      g = getSharedLlama(cfg.gpu, cfg.threads).then((llama) => llama.createGrammarForJsonSchema(schema as never) as unknown as LlamaGrammar);
      grammars.set(key, g);
      g.catch(() => grammars.delete(key));
    }
    return g;
  };

  async function* stream(req: GenerateRequest): AsyncIterable<StreamChunk> {
    const { model, context, sequence } = await load();
    const grammar = req.json ? await grammarFor(req.json.schema) : undefined;
    const timeoutMs = req.timeoutMs ?? cfg.timeoutMs;
    const chan = new Channel<string>();
    // Aborted when the consumer stops reading early, so the sequence is freed instead of running to maxTokens.
    const stop = new AbortController();
    const dl = deadline(timeoutMs, req.signal ? AbortSignal.any([req.signal, stop.signal]) : stop.signal);
    let finished = false;
    const maxTokens = Math.max(1, Math.min(req.maxTokens ?? cfg.maxTokens ?? DEFAULT_MAX_TOKENS, context.contextSize - 8));
    const run = mutex.run(async () => {
      if (dl.signal.aborted) throw dl.signal.reason;
      await sequence.clearHistory();
      let outputTokens = 0;
      const onToken = (t: Token[]) => { outputTokens += t.length; };
      let text = '';
      const onTextChunk = (t: string) => { if (t) { text += t; chan.push(t); } };
      // A grammar may keep emitting trailing whitespace after the closing brace until maxTokens: still a full reply.
      const finishOf = (reason: string | undefined): string => (grammar && reason === 'maxTokens' && parses(text) ? 'stop' : finishName(reason));
      const common = {
        maxTokens, signal: dl.signal, onToken, onTextChunk, grammar,
        temperature: req.temperature, customStopTriggers: req.stop?.length ? req.stop : undefined,
      };
      if (!cfg.chat) {
        const { LlamaCompletion } = await import('node-llama-cpp');
        const tokens = fitPrompt(model, completionPrompt(req, Boolean(grammar)), context.contextSize - maxTokens - 1);
        const completion = new LlamaCompletion({ contextSequence: sequence });
        try {
          const meta = await completion.generateCompletionWithMeta(tokens, common);
          return { input: tokens.length + bosCount(model), output: outputTokens, finish: finishOf(meta.metadata.stopReason) };
        } finally {
          completion.dispose({ disposeSequence: false });
        }
      }
      const { LlamaChatSession } = await import('node-llama-cpp');
      const session: LlamaChatSession = new LlamaChatSession({ contextSequence: sequence, autoDisposeSequence: false });
      try {
        const { history, prompt, inputTokens } = buildChatHistory(session, model, req, context.contextSize - maxTokens - 1);
        session.setChatHistory(history);
        const meta = await session.promptWithMeta(prompt, common);
        return { input: inputTokens, output: outputTokens, finish: finishOf(meta.stopReason) };
      } finally {
        session.dispose({ disposeSequence: false });
      }
    });
    run.then(() => chan.end(), (err: unknown) => chan.end(err ?? new Error('generation failed')));
    try {
      for await (const text of chan) yield { type: 'text', text };
      const r = await run;
      finished = true;
      yield { type: 'done', usage: { inputTokens: r.input, outputTokens: r.output, cachedTokens: 0, estimated: false }, finishReason: r.finish };
    } catch (err) {
      if (dl.timedOut) throw new ModelError(`${name}: no complete reply within ${timeoutMs}ms (timed out)`, { retryable: true, cause: err });
      if (req.signal?.aborted) throw isAbortError(err) ? err : new CancelledError();
      if (err instanceof LunaError || isAbortError(err)) throw err;
      throw new ModelError(`${name}: local generation failed: ${(err as Error).message}`, { retryable: false, cause: err });
    } finally {
      if (!finished) stop.abort(new CancelledError());
      await run.catch(() => undefined);
      dl.clear();
    }
  }

  return {
    name,
    provider: 'local',
    modelId: cfg.path.split(/[\\/]/).pop() ?? cfg.path,
    stream,
    generate: (req: GenerateRequest): Promise<GenerateResult> => collect(stream(req)),
    async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
      const { model } = await load();
      embedder ??= model.createEmbeddingContext({ threads: cfg.threads, contextSize: Math.min(cfg.contextSize, model.trainContextSize) });
      const ctx = await embedder;
      const out: Float32Array[] = [];
      for (const t of texts) {
        if (signal?.aborted) throw new CancelledError();
        const e = await mutex.run(() => ctx.getEmbeddingFor(t));
        out.push(Float32Array.from(e.vector));
      }
      return out;
    },
    async limits(): Promise<ModelLimits> {
      const l = await load().catch(() => null);
      if (!l) return { contextTokens: null, countPrompt: null, countText: null };
      const { model, context } = l;
      // Chat templates add a few tokens per message around the text; 8 covers the common ones.
      const overhead = (req: GenerateRequest) => bosCount(model) + (cfg.chat ? 8 * (req.messages.length + (req.system ? 1 : 0)) : 0);
      return {
        contextTokens: context.contextSize,
        countText: async (text) => model.tokenize(text).length,
        countPrompt: async (req) => model.tokenize(completionPrompt(req, Boolean(req.json))).length + overhead(req),
      };
    },
    async ping(): Promise<PingResult> {
      const started = performance.now();
      try {
        await load();
        return { ok: true, detail: 'loaded', latencyMs: performance.now() - started };
      } catch (err) {
        return { ok: false, detail: (err as Error).message.replace(`model ${name}: `, ''), latencyMs: performance.now() - started };
      }
    },
    async close() {
      const l = loaded;
      loaded = null;
      const e = embedder;
      embedder = null;
      await mutex.run(async () => {
        if (e) await (await e.catch(() => null))?.dispose();
        if (l) await (await l.catch(() => null))?.context.dispose();
      });
    },
  };
}

/** Keeps the end of the prompt: the latest turn matters most, and the context must hold prompt + reply. */
function fitPrompt(model: LlamaModel, text: string, budget: number): Token[] {
  const tokens = model.tokenize(text);
  const room = Math.max(1, budget - bosCount(model));
  return tokens.length > room ? tokens.slice(tokens.length - room) : tokens;
}

function bosCount(model: LlamaModel): number {
  return model.tokens.shouldPrependBosToken && model.tokens.bos !== null ? 1 : 0;
}

function parses(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

function finishName(reason: string | undefined): string {
  if (reason === 'maxTokens') return 'length';
  if (reason === 'abort') return 'abort';
  return 'stop';
}
