/**
 * `luna serve`'s `local` engine: an OpenAI-compatible server around node-llama-cpp for machines without
 * vLLM or llama.cpp. Run by the supervisor as its own process:
 *   node dist/src/serve/local-engine/main.js --model PATH --port N [--host H] [--threads T] [--parallel P]
 *     [--context-size C] [--served-model-name a,b] [--chat]
 * This file is an entry point (like src/cli/main.ts), so it owns its exit.
 */
import { parseArgs } from 'node:util';
import path from 'node:path';
import { SlotPool } from './pool.js';
import { createEngineServer } from './server.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    port: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    threads: { type: 'string', default: '1' },
    parallel: { type: 'string', default: '1' },
    'context-size': { type: 'string', default: '2048' },
    'served-model-name': { type: 'string' },
    chat: { type: 'boolean', default: false },
  },
  strict: true,
});

const int = (name: string, v: string | undefined, min: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`local engine: --${name} must be a whole number ≥ ${min}, got ${v}\n`);
    process.exit(2);
  }
  return n;
};

if (!values.model) {
  process.stderr.write('local engine: --model is required\n');
  process.exit(2);
}
const port = int('port', values.port, 0);
const model = path.resolve(values.model);
const names = (values['served-model-name'] ?? path.basename(model)).split(',').filter(Boolean);
const pool = new SlotPool({
  model,
  threads: int('threads', values.threads, 1),
  parallel: int('parallel', values.parallel, 1),
  contextSize: int('context-size', values['context-size'], 128),
  chat: values.chat ?? false,
});
let ready = false;
let loadError: string | null = null;
const server = createEngineServer({ names, pool, isReady: () => ready, loadError: () => loadError });
server.listen(port, values.host, () => {
  const addr = server.address();
  process.stdout.write(`local engine listening on ${values.host}:${typeof addr === 'object' && addr ? addr.port : port}, loading ${model}\n`);
});

const started = Date.now();
pool.load().then(
  () => {
    ready = true;
    process.stdout.write(`model loaded in ${Date.now() - started}ms; serving ${names.join(', ')} with ${pool.opts.parallel} slot(s)\n`);
  },
  (err: unknown) => {
    loadError = err instanceof Error ? err.message : String(err);
    process.stderr.write(`local engine: cannot load model: ${loadError}\n`);
    // exit so the supervisor sees a crash (and backs off) instead of a shard stuck answering 500
    setTimeout(() => process.exit(1), 100);
  },
);

const shutdown = (sig: string) => {
  process.stdout.write(`${sig}: shutting down\n`);
  server.close();
  server.closeAllConnections();
  void pool.close().finally(() => process.exit(0));
  setTimeout(() => process.exit(0), 3000).unref();
};
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
