import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import OpenAI from 'openai';
import { createServeEndpointSource } from '../../src/serve/endpoint-source.js';
import { isAlive } from '../../src/serve/process-tree.js';
import { readState, runningDaemonPid, servePaths, type ServeState } from '../../src/serve/state.js';
import { makeSandbox, REPO, waitFor } from './helpers.js';

const box = makeSandbox();
const paths = servePaths(box.home);
const MODEL = path.resolve(REPO, '../shared/models/stories260K.gguf');

function luna(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin/luna'), '--config', path.join(box.dir, 'luna.yaml'), ...args], { env: box.env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const status = (): ServeState & { running: boolean } => JSON.parse(luna(['serve', 'status', '--json']).stdout);

beforeAll(() => {
  writeFileSync(path.join(box.dir, 'luna.yaml'), [
    'models:',
    '  writer: { provider: openai-compatible, model: writer, baseUrl: "http://127.0.0.1:9/v1" }',
    'serve:',
    '  healthIntervalMs: 200',
    '  healthTimeoutMs: 1000',
    '  stopGraceMs: 1500',
    '  restartBackoffMs: 100',
    '  metricsPort: 0',
    '  shards:',
    '    - { name: tiny, engine: local, model: ' + JSON.stringify(MODEL) + ', serves: [writer], parallel: 2, contextLength: 256 }',
    '    - { name: cpp, engine: llamacpp, model: ' + JSON.stringify(MODEL) + ', serves: [dreamer], gpus: 1, memoryMiB: 20000, env: { FAKE_GRANDCHILD_PID_FILE: ' + JSON.stringify(path.join(box.dir, 'gc.pid')) + ', FAKE_GRANDCHILD_ESCAPE: "1" } }',
    '',
  ].join('\n'));
}, 180_000);

afterAll(() => {
  // whatever happened above, leave no daemon, engine or grandchild behind
  const pid = runningDaemonPid(paths);
  if (pid) {
    spawnSync(process.execPath, [path.join(REPO, 'bin/luna'), 'serve', 'stop'], { env: box.env, timeout: 30_000 });
    if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  for (const s of readState(paths)?.shards ?? []) if (s.pid && isAlive(s.pid)) process.kill(-s.pid, 'SIGKILL');
  try {
    const gc = Number(readFileSync(path.join(box.dir, 'gc.pid'), 'utf8'));
    if (isAlive(gc)) process.kill(gc, 'SIGKILL');
  } catch {
    // no grandchild was started
  }
  box.cleanup();
});

describe('luna serve (CLI, detached daemon)', () => {
  it('plan --json shows placement without starting anything', () => {
    const r = luna(['serve', 'plan', '--json']);
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.fits).toBe(true);
    expect(plan.discovered).toHaveLength(4);
    expect(plan.shards.find((s: { shard: string }) => s.shard === 'cpp').gpuIndices).toEqual([0]);
    expect(plan.shards.find((s: { shard: string }) => s.shard === 'tiny').gpuIndices).toEqual([]);
    expect(existsSync(paths.state)).toBe(false);
  });

  it('up --detach, a second up refused, status/logs/restart/stop from other processes, local engine via the openai SDK', async () => {
    try {
      await detachedFlow();
    } finally {
      // a failure mid-flow must not leave the daemon up for the next tests
      if (runningDaemonPid(paths)) luna(['serve', 'stop']);
    }
  }, 120_000);
});

async function detachedFlow(): Promise<void> {
  {
    const up = luna(['serve', 'up', '--detach']);
    expect(up.stderr).toBe('');
    expect(up.code).toBe(0);
    expect(up.stdout).toMatch(/luna serve started \(pid \d+\)/);
    const daemonPid = runningDaemonPid(paths)!;
    expect(daemonPid).toBeGreaterThan(0);

    const again = luna(['serve', 'up', '--detach']);
    expect(again.code).toBe(11);
    expect(again.stderr).toContain(`luna serve is already running (pid ${daemonPid})`);

    const st = status();
    expect(st.running).toBe(true);
    expect(st.shards.map((s) => [s.name, s.state])).toEqual([['tiny', 'ready'], ['cpp', 'ready']]);
    const table = luna(['serve', 'status']).stdout;
    expect(table).toMatch(/tiny\s+│ local/);

    // the model registry's view: the ready local shard is the `writer` endpoint; stream through it with the SDK
    const [ep] = await createServeEndpointSource(box.home).endpointsFor('writer');
    expect(ep!.id).toBe('serve:tiny');
    const client = new OpenAI({ baseURL: ep!.baseUrl, apiKey: 'unused', maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: ep!.modelId!, messages: [{ role: 'user', content: 'Once upon a time' }], max_tokens: 24, stream: true, stream_options: { include_usage: true } });
    let text = '';
    let usage: { completion_tokens: number; prompt_tokens: number } | null | undefined;
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.trim().length).toBeGreaterThan(10);
    expect(usage!.completion_tokens).toBeGreaterThan(0);
    expect(usage!.completion_tokens).toBeLessThanOrEqual(24);
    expect(usage!.prompt_tokens).toBeGreaterThan(0);
    expect(['length', 'stop']).toContain(finish);
    await expect(client.chat.completions.create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({ status: 404 });
    const tinyPort = status().shards.find((s) => s.name === 'tiny')!.port;
    const engineMetrics = await (await fetch(`http://127.0.0.1:${tinyPort}/metrics`)).text();
    expect(Number(/llamacpp:tokens_predicted_total (\d+)/.exec(engineMetrics)![1])).toBe(usage!.completion_tokens);

    const logs = luna(['serve', 'logs', 'tiny', '-n', '200']);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toMatch(/model loaded in \d+ms; serving writer with 2 slot/);
    expect(luna(['serve', 'logs', 'nosuch']).code).toBe(4);

    const cppPid = status().shards.find((s) => s.name === 'cpp')!.pid!;
    const restarted = luna(['serve', 'restart', 'cpp', '--json']);
    expect(restarted.code).toBe(0);
    const cpp = JSON.parse(restarted.stdout);
    expect(cpp).toMatchObject({ state: 'ready', restarts: 1 });
    expect(cpp.pid).not.toBe(cppPid);
    expect(isAlive(cppPid)).toBe(false);

    const stopTiny = luna(['serve', 'stop', 'tiny']);
    expect(stopTiny.stderr).toBe('');
    expect(stopTiny.code).toBe(0);
    expect(status().shards.find((s) => s.name === 'tiny')!.state).toBe('stopped');
    expect(await createServeEndpointSource(box.home, { cacheMs: 0 }).endpointsFor('writer')).toEqual([]);

    const metricsPort = status().daemon.controlPort;
    const m = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(m).toMatch(/luna_shard_restarts_total\{shard="cpp"\} 1/);
    expect(m).toMatch(/luna_shard_up\{shard="tiny"\} 0/);

    // control API refuses callers without the token
    expect((await fetch(`http://127.0.0.1:${metricsPort}/shutdown`, { method: 'POST' })).status).toBe(403);

    const gc = Number(readFileSync(path.join(box.dir, 'gc.pid'), 'utf8'));
    expect(isAlive(gc)).toBe(true);
    const stop = luna(['serve', 'stop']);
    expect(stop.code).toBe(0);
    expect(isAlive(daemonPid)).toBe(false);
    expect(isAlive(gc)).toBe(false);
    expect(runningDaemonPid(paths)).toBeNull();
    expect(status().running).toBe(false);
    expect(luna(['serve', 'stop']).code).toBe(0);
  }
}

describe('luna serve (CLI, other flows)', () => {
  it('refuses a plan that does not fit with exit code 11 and the plan in the message', () => {
    const file = path.join(box.dir, 'big.yaml');
    writeFileSync(file, 'serve:\n  shards:\n    - { name: huge, engine: vllm, model: m, gpus: 4, memoryMiB: 50000 }\n');
    const r = spawnSync(process.execPath, [path.join(REPO, 'bin/luna'), '--config', file, 'serve', 'up'], { env: box.env, encoding: 'utf8' });
    expect(r.status).toBe(11);
    expect(r.stderr).toContain('huge: needs 4 GPUs with 50000 MiB free each, only 1 GPU has 50000 MiB free');
    expect(r.stderr).toContain('GPU 0 NVIDIA A100-SXM4-80GB: 80896 MiB free');
    expect(runningDaemonPid(paths)).toBeNull();
  });
  it('foreground up logs plain lines off a TTY and stops every engine on SIGINT', async () => {
    const file = path.join(box.dir, 'fg.yaml');
    writeFileSync(file, 'serve:\n  healthIntervalMs: 200\n  metricsPort: 0\n  shards:\n    - { name: fg, engine: vllm, model: m, serves: [writer] }\n');
    const child = spawn(process.execPath, [path.join(REPO, 'bin/luna'), '--config', file, 'serve', 'up'], { env: box.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => { stderr += d; });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor('fg ready', () => /fg: ready/.test(stderr));
      const st = status();
      expect(st.daemon.detached).toBe(false);
      const enginePid = st.shards[0]!.pid!;
      expect(luna(['serve', 'up']).code).toBe(11);
      child.kill('SIGINT');
      expect(await exited).toBe(0);
      expect(isAlive(enginePid)).toBe(false);
      expect(stderr).toMatch(/fg: starting — pid \d+ port \d+/);
      expect(stderr).toMatch(/fg: stopped/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('a new daemon stops engines left running by one that was SIGKILLed', async () => {
    const file = path.join(box.dir, 'left.yaml');
    writeFileSync(file, 'serve:\n  healthIntervalMs: 200\n  metricsPort: 0\n  shards:\n    - { name: left, engine: llamacpp, model: m.gguf }\n');
    const run = (args: string[]) => spawnSync(process.execPath, [path.join(REPO, 'bin/luna'), '--config', file, 'serve', ...args], { env: box.env, encoding: 'utf8', timeout: 60_000 });
    expect(run(['up', '--detach']).status).toBe(0);
    const first = readState(paths)!;
    const engine = first.shards[0]!.pid!;
    process.kill(first.daemon.pid, 'SIGKILL');
    await waitFor('daemon dead', () => !isAlive(first.daemon.pid));
    expect(isAlive(engine)).toBe(true);
    const second = run(['up', '--detach']);
    expect(second.status).toBe(0);
    expect(isAlive(engine)).toBe(false);
    expect(readFileSync(paths.daemonLog, 'utf8')).toContain(`left: stopping the engine a previous supervisor left running (pid ${engine})`);
    expect(run(['stop']).status).toBe(0);
  }, 60_000);
});
