import { localModelSchema } from '../../config/schema.js';
import { createLocalClient } from '../../models/local.js';
import type { GenerateRequest, ModelClient, StreamChunk } from '../../models/types.js';

export interface PoolOptions {
  model: string;
  threads: number;
  parallel: number;
  contextSize: number;
  chat: boolean;
}

/**
 * `parallel` slots, each a local ModelClient with its own context (the GGUF weights are loaded once and
 * shared). A request takes a free slot or waits in FIFO order; the counters feed llama.cpp-style /metrics.
 */
export class SlotPool {
  private readonly free: ModelClient[] = [];
  private readonly waiters: Array<(c: ModelClient) => void> = [];
  private readonly clients: ModelClient[];
  processing = 0;
  promptTokens = 0;
  predictedTokens = 0;
  /** Milliseconds spent generating, for tokens/s as llama.cpp reports it. */
  predictedMs = 0;
  requests = 0;

  constructor(readonly opts: PoolOptions) {
    const cfg = localModelSchema.parse({ provider: 'local', path: opts.model, threads: opts.threads, contextSize: opts.contextSize, chat: opts.chat, timeoutMs: 600_000 });
    this.clients = Array.from({ length: opts.parallel }, (_, i) => createLocalClient(`slot${i}`, cfg));
    this.free.push(...this.clients);
  }

  get deferred(): number {
    return this.waiters.length;
  }

  /** Loads the model and every slot's context; throws when the model cannot be loaded. */
  async load(): Promise<void> {
    for (const c of this.clients) {
      const p = await c.ping();
      if (!p.ok) throw new Error(p.detail);
    }
  }

  private acquire(): Promise<ModelClient> {
    const c = this.free.shift();
    if (c) return Promise.resolve(c);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private release(c: ModelClient): void {
    const next = this.waiters.shift();
    if (next) next(c);
    else this.free.push(c);
  }

  async *stream(req: GenerateRequest): AsyncIterable<StreamChunk> {
    const client = await this.acquire();
    this.processing++;
    this.requests++;
    const started = performance.now();
    try {
      for await (const chunk of client.stream(req)) {
        if (chunk.type === 'done') {
          this.promptTokens += chunk.usage.inputTokens;
          this.predictedTokens += chunk.usage.outputTokens;
        }
        yield chunk;
      }
    } finally {
      this.predictedMs += performance.now() - started;
      this.processing--;
      this.release(client);
    }
  }

  metrics(): string {
    const tps = this.predictedMs > 0 ? (this.predictedTokens * 1000) / this.predictedMs : 0;
    const g = (name: string, help: string, type: 'gauge' | 'counter', v: number) => `# HELP llamacpp:${name} ${help}\n# TYPE llamacpp:${name} ${type}\nllamacpp:${name} ${v}\n`;
    return [
      g('prompt_tokens_total', 'Number of prompt tokens processed.', 'counter', this.promptTokens),
      g('tokens_predicted_total', 'Number of generation tokens processed.', 'counter', this.predictedTokens),
      g('predicted_tokens_seconds', 'Average generation throughput in tokens/s.', 'gauge', Number(tps.toFixed(3))),
      g('requests_processing', 'Number of requests processing.', 'gauge', this.processing),
      g('requests_deferred', 'Number of requests deferred.', 'gauge', this.deferred),
      g('n_requests_total', 'Requests served.', 'counter', this.requests),
    ].join('');
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.close()));
  }
}
