import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ExitCode } from '../../src/errors.js';
import { createServeEndpointSource } from '../../src/serve/endpoint-source.js';
import { ServeError } from '../../src/serve/errors.js';
import { isAlive } from '../../src/serve/process-tree.js';
import { readState, servePaths } from '../../src/serve/state.js';
import { Supervisor } from '../../src/serve/supervisor.js';
import { cleanupAll, fakeArgs, makeSandbox, serveConfig, waitFor } from './helpers.js';

const box = makeSandbox();
const sups: Supervisor[] = [];
const pidFiles: string[] = [];
let savedPath: string | undefined;
let n = 0;

beforeAll(() => {
  savedPath = process.env.PATH;
  process.env.PATH = box.env.PATH;
});
afterEach(async () => cleanupAll(sups, pidFiles));
afterAll(() => {
  process.env.PATH = savedPath;
  box.cleanup();
});

function supervisor(input: Record<string, unknown>): Supervisor {
  const home = path.join(box.dir, `home-${++n}`);
  const sup = new Supervisor({ serve: serveConfig({ binaries: { nvidiaSmi: path.join(box.bin, 'nvidia-smi') }, ...input }), home, detached: false });
  sups.push(sup);
  return sup;
}
const shardOf = (sup: Supervisor, name: string) => sup.state().shards.find((s) => s.name === name)!;
const log = (sup: Supervisor, name: string) => readFileSync(path.join(sup.paths.logs, `${name}.log`), 'utf8');

describe('supervisor', () => {
  it('starts vLLM and llama.cpp shards with the right flags, waits for readiness, exposes metrics, stops cleanly', async () => {
    const sup = supervisor({
      shards: [
        { name: 'big', engine: 'vllm', model: 'meta/llama-3-8b', serves: ['writer', 'strategist'], gpus: 2, memoryMiB: 30000, contextLength: 8192, parallel: 16, env: { FAKE_LOAD_MS: '600' } },
        { name: 'cpp', engine: 'llamacpp', model: '/models/m.gguf', serves: ['dreamer'], gpus: [3], contextLength: 2048, parallel: 2 },
      ],
    });
    await sup.start();
    expect(shardOf(sup, 'big').state).toBe('starting');
    await waitFor('both ready', () => sup.state().shards.every((s) => s.state === 'ready'));

    const [v] = fakeArgs(log(sup, 'big'));
    expect(v!.model).toBe('meta/llama-3-8b');
    expect(v!.flags).toMatchObject({ '--host': '127.0.0.1', '--tensor-parallel-size': '2', '--gpu-memory-utilization': '0.9', '--max-model-len': '8192', '--max-num-seqs': '16', '--served-model-name': ['writer', 'strategist'] });
    expect(v!.env).toEqual({ CUDA_DEVICE_ORDER: 'PCI_BUS_ID', CUDA_VISIBLE_DEVICES: 'GPU-11111111-aaaa-bbbb-cccc-000000000000,GPU-22222222-aaaa-bbbb-cccc-000000000001' });
    const [c] = fakeArgs(log(sup, 'cpp'));
    expect(c!.flags).toMatchObject({ '-m': '/models/m.gguf', '--host': '127.0.0.1', '-ngl': '999', '-c': '4096', '--parallel': '2', '--metrics': true, '--alias': 'dreamer' });
    expect(c!.env.CUDA_VISIBLE_DEVICES).toBe('GPU-44444444-aaaa-bbbb-cccc-000000000003');

    // engine metrics are scraped into the state and re-exported under the contract names
    await waitFor('scraped', () => shardOf(sup, 'cpp').tokensPerSec === 42.5 && shardOf(sup, 'cpp').kvCache === 0.125 && shardOf(sup, 'big').kvCache === 0.25);
    expect(shardOf(sup, 'big').waiting).toBe(2);
    expect(shardOf(sup, 'cpp').waiting).toBe(1);
    const metrics = await (await fetch(`http://127.0.0.1:${sup.port}/metrics`)).text();
    expect(metrics).toMatch(/luna_shard_up\{shard="big"\} 1/);
    expect(metrics).toMatch(/luna_shard_requests_waiting\{shard="big"\} 2/);
    expect(metrics).toMatch(/luna_shard_kv_cache_usage\{shard="cpp"\} 0.125/);
    expect(metrics).toMatch(/luna_shard_requests_running\{shard="cpp"\} 0/);
    expect(metrics).toMatch(/luna_shard_restarts_total\{shard="big"\} 0/);
    expect(metrics).toMatch(/luna_gpu_memory_used_mib\{gpu="1"\} 40960/);
    expect(metrics).toMatch(/luna_gpu_utilization\{gpu="0"\} 12/);
    expect(metrics).not.toMatch(/luna_gpu_utilization\{gpu="3"\}/);

    // ready shards become endpoints of the models they serve
    const source = createServeEndpointSource(sup.paths.dir.replace(/\/serve$/, ''), { cacheMs: 0 });
    const eps = await source.endpointsFor('strategist');
    expect(eps).toEqual([{ id: 'serve:big', source: 'serve', baseUrl: `http://127.0.0.1:${shardOf(sup, 'big').port}/v1`, modelId: 'strategist' }]);
    const reply = await fetch(`${eps[0]!.baseUrl}/chat/completions`, { method: 'POST', body: JSON.stringify({ model: eps[0]!.modelId, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(reply.status).toBe(200);
    expect(await source.endpointsFor('nobody')).toEqual([]);

    const pids = sup.state().shards.map((s) => s.pid!);
    await sup.stop();
    for (const pid of pids) expect(isAlive(pid)).toBe(false);
    expect(readState(sup.paths)!.daemon.status).toBe('stopped');
    expect(await source.endpointsFor('strategist')).toEqual([]);
  });

  it('restarts a crashing shard with exponential backoff and marks it failed after maxRestarts', async () => {
    const sup = supervisor({
      maxRestarts: 2,
      restartBackoffMs: 200,
      shards: [{ name: 'flaky', engine: 'llamacpp', model: 'm.gguf', env: { FAKE_LOAD_MS: '50', FAKE_CRASH_AFTER_MS: '400' } }],
    });
    const seen: string[] = [];
    await sup.start();
    await waitFor('failed', () => {
      const s = shardOf(sup, 'flaky');
      if (seen.at(-1) !== s.state) seen.push(s.state);
      return s.state === 'failed';
    });
    const s = shardOf(sup, 'flaky');
    expect(s.restarts).toBe(2);
    expect(s.lastError).toBe('exited with code 3');
    expect(seen).toContain('backoff');
    const text = log(sup, 'flaky');
    expect(text).toContain('restarting in 200ms');
    expect(text).toContain('restarting in 400ms');
    expect(text).toMatch(/giving up after 3 crashes/);
    expect(fakeArgs(text)).toHaveLength(3);
    const metrics = await (await fetch(`http://127.0.0.1:${sup.port}/metrics`)).text();
    expect(metrics).toMatch(/luna_shard_restarts_total\{shard="flaky"\} 2/);
    expect(metrics).toMatch(/luna_shard_up\{shard="flaky"\} 0/);
  });

  it('comes back ready after a single crash', async () => {
    const once = path.join(box.dir, 'crash-once');
    const sup = supervisor({ shards: [{ name: 'once', engine: 'vllm', model: 'm', env: { FAKE_LOAD_MS: '50', FAKE_CRASH_AFTER_MS: '300', FAKE_CRASH_ONCE_FILE: once } }] });
    await sup.start();
    const firstPid = shardOf(sup, 'once').pid;
    await waitFor('restarted and ready', () => shardOf(sup, 'once').restarts === 1 && shardOf(sup, 'once').state === 'ready');
    expect(shardOf(sup, 'once').pid).not.toBe(firstPid);
    expect(isAlive(firstPid!)).toBe(false);
  });

  it('kills a hung engine that ignores SIGTERM and restarts it', async () => {
    const once = path.join(box.dir, 'hang-once');
    const sup = supervisor({
      unhealthyAfter: 2,
      stopGraceMs: 300,
      shards: [{ name: 'hung', engine: 'llamacpp', model: 'm.gguf', env: { FAKE_LOAD_MS: '50', FAKE_HANG_AFTER_MS: '500', FAKE_HANG_ONCE_FILE: once, FAKE_IGNORE_TERM: '1' } }],
    });
    await sup.start();
    await waitFor('ready', () => shardOf(sup, 'hung').state === 'ready');
    const hungPid = shardOf(sup, 'hung').pid!;
    await waitFor('restarted', () => shardOf(sup, 'hung').restarts === 1 && shardOf(sup, 'hung').state === 'ready');
    expect(isAlive(hungPid)).toBe(false);
    expect(shardOf(sup, 'hung').lastExit).toMatch(/stopped answering health checks/);
    const text = log(sup, 'hung');
    expect(text).toContain('ignoring SIGTERM');
    expect(text).toMatch(/health check failed \(no answer\), 2\/2/);
  });

  it('refuses to start when a shard port is already taken, leaving nothing behind', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const sup = supervisor({ shards: [{ name: 'a', engine: 'vllm', model: 'm' }, { name: 'b', engine: 'llamacpp', model: 'm.gguf', port }] });
      const err = await sup.start().then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ServeError);
      expect((err as ServeError).exitCode).toBe(ExitCode.serve);
      expect((err as ServeError).message).toBe(`b: port ${port} is already in use`);
      expect(sup.state().shards).toEqual([]);
      expect(servePaths(sup.paths.dir.replace(/\/serve$/, '')).pid).toBe(sup.paths.pid);
      expect(() => readFileSync(sup.paths.pid)).toThrow();
    } finally {
      blocker.close();
    }
  });

  it('sweeps grandchildren that ignore SIGTERM, inside and outside the process group', async () => {
    const inGroup = path.join(box.dir, 'gc-group.pid');
    const escaped = path.join(box.dir, 'gc-escaped.pid');
    pidFiles.push(inGroup, escaped);
    const sup = supervisor({
      shards: [
        { name: 'g1', engine: 'vllm', model: 'm', env: { FAKE_LOAD_MS: '50', FAKE_GRANDCHILD_PID_FILE: inGroup } },
        { name: 'g2', engine: 'vllm', model: 'm', env: { FAKE_LOAD_MS: '50', FAKE_GRANDCHILD_PID_FILE: escaped, FAKE_GRANDCHILD_ESCAPE: '1' } },
      ],
    });
    await sup.start();
    await waitFor('ready', () => sup.state().shards.every((s) => s.state === 'ready'));
    // one health tick records the descendants before the engine goes away
    await new Promise((r) => setTimeout(r, 400));
    const a = Number(readFileSync(inGroup, 'utf8'));
    const b = Number(readFileSync(escaped, 'utf8'));
    expect(isAlive(a) && isAlive(b)).toBe(true);
    await sup.stop();
    expect(isAlive(a)).toBe(false);
    expect(isAlive(b)).toBe(false);
    expect(log(sup, 'g1')).toMatch(/SIGKILL needed for 1 process/);
  });

  it('refuses a second supervisor on the same home', async () => {
    const first = supervisor({ shards: [{ name: 'one', engine: 'llamacpp', model: 'm.gguf' }] });
    await first.start();
    const second = new Supervisor({ serve: serveConfig({ binaries: { nvidiaSmi: path.join(box.bin, 'nvidia-smi') }, shards: [{ name: 'one', engine: 'llamacpp', model: 'm.gguf' }] }), home: path.join(box.dir, `home-${n}`), detached: false });
    const err = await second.start().then(() => null, (e: unknown) => e);
    expect((err as ServeError).message).toBe(`luna serve is already running (pid ${process.pid})`);
    expect(first.state().daemon.status).toBe('running');
  });
});
