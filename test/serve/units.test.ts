import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serveSchema } from '../../src/config/schema.js';
import { createServeEndpointSource } from '../../src/serve/endpoint-source.js';
import { engineCommand } from '../../src/serve/engine-args.js';
import { readFrom, RotatingLog, tailFile } from '../../src/serve/logs.js';
import { planPlacement } from '../../src/serve/placement.js';
import { loadFromMetrics, loadFromSlots, parsePrometheus } from '../../src/serve/prometheus.js';
import { servePaths, writeJsonAtomic, type ServeState, type ShardStatus } from '../../src/serve/state.js';

const dir = mkdtempSync(path.join(tmpdir(), 'luna-serve-units-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('engine metrics', () => {
  it('sums labelled vLLM series and reads the older gpu_cache_usage_perc name', () => {
    const s = parsePrometheus([
      '# HELP vllm:num_requests_running x', '# TYPE vllm:num_requests_running gauge',
      'vllm:num_requests_running{model_name="a"} 3', 'vllm:num_requests_running{model_name="b"} 2',
      'vllm:num_requests_waiting{model_name="a"} 7', 'vllm:gpu_cache_usage_perc{model_name="a"} 0.5',
      'vllm:generation_tokens_total{model_name="a"} 1.2e3',
    ].join('\n'));
    expect(loadFromMetrics(s)).toEqual({ running: 5, waiting: 7, kvCache: 0.5, tokensPerSec: null, generatedTotal: 1200 });
  });

  it('reads llama.cpp names, and /slots when /metrics is off', () => {
    const s = parsePrometheus('llamacpp:requests_processing 1\nllamacpp:requests_deferred 4\nllamacpp:predicted_tokens_seconds 88.25\nllamacpp:kv_cache_usage_ratio 0.75\n');
    expect(loadFromMetrics(s)).toMatchObject({ running: 1, waiting: 4, tokensPerSec: 88.25, kvCache: 0.75 });
    expect(loadFromSlots([{ is_processing: true }, { is_processing: false }, { is_processing: true }])).toEqual({ running: 2, kvCache: null });
    // KV-cache use: the tokens the slots hold over their combined context; never a made-up 0.
    expect(loadFromSlots([{ is_processing: true, n_ctx: 1024, n_prompt_tokens: 512 }, { is_processing: false, n_ctx: 1024, n_prompt_tokens: 256 }])).toEqual({ running: 1, kvCache: 0.375 });
    expect(loadFromSlots({ error: 'x' })).toBeNull();
  });
});

describe('shard logs', () => {
  it('rotates past maxBytes, keeping N old files, and tails/follows across rotation', () => {
    const file = path.join(dir, 'logs', 's.log');
    const log = new RotatingLog(file, 1024, 2);
    for (let i = 0; i < 100; i++) log.write(`line ${String(i).padStart(3, '0')} ${'x'.repeat(40)}\n`);
    log.close();
    expect(existsSync(`${file}.1`)).toBe(true);
    expect(existsSync(`${file}.2`)).toBe(true);
    expect(existsSync(`${file}.3`)).toBe(false);
    expect(readFileSync(file).length).toBeLessThanOrEqual(1024);
    const tail = tailFile(file, 2).text.split('\n');
    expect(tail[0]).toMatch(/^line 098/);
    expect(tail[1]).toMatch(/^line 099/);
    // a reader that was further along than the rotated file restarts from 0
    expect(readFrom(file, 10_000_000).text.startsWith('line ')).toBe(true);
  });
});

describe('engine command lines', () => {
  it('local engine runs the built server with the slots, threads and served names', () => {
    const [s] = serveSchema.parse({ shards: [{ name: 't', engine: 'local', model: '/m/x.gguf', serves: ['writer', 'demo'], parallel: 3, threads: 2, contextLength: 512 }] }).shards;
    const plan = planPlacement([s!], []);
    const cmd = engineCommand(s!, plan.shards[0]!, 4321, serveSchema.parse({}));
    expect(cmd.file).toBe(process.execPath);
    expect(cmd.args[0]).toMatch(/dist\/src\/serve\/local-engine\/main\.js$/);
    expect(cmd.args.slice(1)).toEqual(['--model', '/m/x.gguf', '--port', '4321', '--host', '127.0.0.1', '--threads', '2', '--parallel', '3', '--served-model-name', 'writer,demo', '--context-size', '512']);
  });
});

describe('serve endpoint source', () => {
  const shard = (name: string, over: Partial<ShardStatus>): ShardStatus => ({
    name, engine: 'vllm', model: 'm', serves: ['writer'], servedNames: ['writer'], gpus: [], gpuUuids: [], port: 1000, state: 'ready', pid: 1, pidStartTime: null,
    readySince: null, restarts: 0, lastExit: null, lastError: null, running: 0, waiting: 0, kvCache: null, tokensPerSec: null, ...over,
  });
  const write = (home: string, shards: ShardStatus[], pid = process.pid) => {
    const state: ServeState = { daemon: { pid, startedAt: '', controlPort: 1, status: 'running', detached: true }, updatedAt: '', shards, gpus: [], gpuProblem: null, host: null };
    writeJsonAtomic(servePaths(home).state, state);
  };

  it('lists ready shards least-loaded first and skips deep queues when a lighter shard exists', async () => {
    const home = path.join(dir, 'h1');
    write(home, [
      shard('busy', { port: 1001, waiting: 12 }),
      shard('light', { port: 1002, waiting: 1 }),
      shard('loading', { port: 1003, state: 'starting' }),
      shard('other', { port: 1004, serves: ['dreamer'] }),
    ]);
    const plain = await createServeEndpointSource(home, { cacheMs: 0 }).endpointsFor('writer');
    expect(plain.map((e) => e.id)).toEqual(['serve:light', 'serve:busy']);
    expect(plain[0]!.baseUrl).toBe('http://127.0.0.1:1002/v1');
    const degraded = await createServeEndpointSource(home, { cacheMs: 0, degradeQueueDepth: 8 }).endpointsFor('writer');
    expect(degraded.map((e) => e.id)).toEqual(['serve:light']);
    write(home, [shard('busy', { port: 1001, waiting: 12 })]);
    // all shards are deep: still route rather than return nothing
    expect((await createServeEndpointSource(home, { cacheMs: 0, degradeQueueDepth: 8 }).endpointsFor('writer')).map((e) => e.id)).toEqual(['serve:busy']);
  });

  it('caches reads and ignores a state file whose supervisor is dead', async () => {
    const home = path.join(dir, 'h2');
    write(home, [shard('a', {})]);
    const src = createServeEndpointSource(home, { cacheMs: 60_000 });
    expect(await src.endpointsFor('writer')).toHaveLength(1);
    write(home, []);
    expect(await src.endpointsFor('writer')).toHaveLength(1); // still the cached read
    write(home, [shard('a', {})], 2 ** 22 + 12345);
    expect(await createServeEndpointSource(home, { cacheMs: 0 }).endpointsFor('writer')).toEqual([]);
  });
});
