/**
 * Process-wide node-llama-cpp state: one Llama binding and each GGUF loaded once per path, shared by every
 * client that names it. Loading is the slow part (and holds the weights in memory), so it is never repeated.
 */
import { existsSync } from 'node:fs';
import type { Llama, LlamaModel } from 'node-llama-cpp';
import { ConfigError } from '../errors.js';

type Gpu = false | 'auto' | 'cuda' | 'vulkan' | 'metal';

const llamas = new Map<string, Promise<Llama>>();
const models = new Map<string, Promise<LlamaModel>>();

export async function getSharedLlama(gpu: Gpu, threads: number): Promise<Llama> {
  const key = String(gpu);
  let p = llamas.get(key);
  if (!p) {
    p = (async () => {
      const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
      // build:'never' — a missing prebuilt binary must fail fast, not start a 20-minute compile mid-turn.
      return getLlama({ gpu, maxThreads: Math.max(1, threads), build: 'never', logLevel: LlamaLogLevel.error });
    })();
    llamas.set(key, p);
    p.catch(() => llamas.delete(key));
  }
  const llama = await p;
  // maxThreads caps every context; raise it if a later model asks for more.
  if (llama.maxThreads < threads) llama.maxThreads = threads;
  return llama;
}

export async function loadSharedModel(name: string, modelPath: string, gpu: Gpu, threads: number): Promise<LlamaModel> {
  if (!existsSync(modelPath)) {
    const demo = /stories260K\.gguf$/.test(modelPath);
    throw new ConfigError(`model ${name}: GGUF file not found: ${modelPath}`, {
      hint: demo ? 'download it with `luna models pull demo`' : `check models.${name}.path, or download it with \`luna models pull <url|hf:OWNER/REPO/FILE.gguf>\``,
    });
  }
  let p = models.get(modelPath);
  if (!p) {
    p = (async () => {
      const llama = await getSharedLlama(gpu, threads);
      try {
        return await llama.loadModel({ modelPath, gpuLayers: gpu === false ? 0 : undefined });
      } catch (err) {
        throw new ConfigError(`model ${name}: cannot load ${modelPath}: ${(err as Error).message}`, {
          hint: 'is it a complete GGUF file? re-download it with `luna models pull`',
          cause: err,
        });
      }
    })();
    models.set(modelPath, p);
    p.catch(() => models.delete(modelPath));
  }
  return p;
}

/** Frees every loaded model (tests, and `luna` shutting down cleanly). */
export async function disposeLocalModels(): Promise<void> {
  const all = [...models.values()];
  models.clear();
  await Promise.all(all.map((p) => p.then((m) => m.dispose()).catch(() => undefined)));
}

/** Runs tasks one at a time: a context sequence must not be driven by two generations at once. */
export class Mutex {
  private tail: Promise<unknown> = Promise.resolve();
  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}

/** Bridges callback-style token events to an async iterator. */
export class Channel<T> {
  private items: T[] = [];
  private waiting: ((v: IteratorResult<T>) => void) | null = null;
  private done = false;
  private error: unknown = null;
  push(item: T): void {
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w({ value: item, done: false });
    } else this.items.push(item);
  }
  end(err?: unknown): void {
    this.done = true;
    if (err !== undefined) this.error = err;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      if (this.error !== null) this.items.length = 0;
      w({ value: undefined as T, done: true });
    }
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.items.length) {
        yield this.items.shift()!;
        continue;
      }
      if (this.done) break;
      const r = await new Promise<IteratorResult<T>>((resolve) => { this.waiting = resolve; });
      if (r.done) break;
      yield r.value;
    }
    if (this.error !== null) throw this.error;
  }
}
