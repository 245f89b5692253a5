import { existsSync } from 'node:fs';
import type { GlobalOptions } from '../cli/context.js';
import { loadCliConfig } from '../cli/context.js';
import { printJson, printTable, progress } from '../cli/output.js';
import { NotFoundError } from '../errors.js';
import { ControlClient } from './control-client.js';
import { ServeError } from './errors.js';
import { readFrom, shardLogFile, tailFile } from './logs.js';
import { assertPlanFits, formatPlan } from './placement.js';
import { isAlive } from './process-tree.js';
import { readState, type ServeState } from './state.js';
import { renderStatus } from './status-view.js';
import { planFromConfig } from './supervisor.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runPlan(g: GlobalOptions): Promise<void> {
  const { config } = await loadCliConfig(g);
  const { plan, gpus, gpuProblem } = await planFromConfig(config.serve);
  if (g.json) printJson({ fits: plan.problems.length === 0, gpuProblem, discovered: gpus, ...plan });
  else if (plan.shards.length === 0) {
    process.stdout.write(`no shards configured${gpuProblem ? ` (and no GPUs: ${gpuProblem})` : ''}; add serve.shards to luna.yaml — see docs/serve.md\n`);
  } else {
    if (gpuProblem) process.stdout.write(`no GPUs: ${gpuProblem}\n`);
    await printTable(['shard', 'engine', 'GPUs', 'MiB/GPU', 'TP', 'CUDA_VISIBLE_DEVICES'],
      plan.shards.map((s) => [s.shard, s.engine, s.gpuIndices.join(',') || 'CPU', s.memoryMiB || '-', s.tensorParallel, s.env.CUDA_VISIBLE_DEVICES || '(none)']), { align: ['left', 'left', 'left', 'right', 'right', 'left'] });
    if (plan.problems.length === 0) process.stdout.write(`${formatPlan(plan)}\n`);
  }
  assertPlanFits(plan);
}

export async function runStatus(g: GlobalOptions): Promise<void> {
  const { home } = await loadCliConfig(g);
  const client = new ControlClient(home);
  const state = await client.state();
  if (!state) {
    if (g.json) printJson({ running: false, last: readState(client.paths) });
    else process.stdout.write('luna serve is not running (start it with `luna serve up --detach`)\n');
    return;
  }
  if (g.json) printJson({ running: true, ...state });
  else process.stdout.write(`${await renderStatus(state)}\n`);
}

export async function runLogs(g: GlobalOptions, shard: string, opts: { follow: boolean; lines: number }): Promise<void> {
  const { home, config } = await loadCliConfig(g);
  const client = new ControlClient(home);
  const file = shardLogFile(client.paths.logs, shard);
  if (!existsSync(file)) {
    const known = config.serve.shards.map((s) => s.name);
    throw new NotFoundError(`no log for shard "${shard}"`, { hint: known.length ? `configured shards: ${known.join(', ')}` : 'no shards configured under serve.shards' });
  }
  let { size } = tailFile(file, opts.lines);
  process.stdout.write(tailFile(file, opts.lines).text);
  if (!opts.follow) return;
  let stop = false;
  const onSig = () => { stop = true; };
  process.once('SIGINT', onSig);
  try {
    while (!stop) {
      await sleep(250);
      const next = readFrom(file, size);
      if (next.text) process.stdout.write(next.text);
      size = next.size;
    }
  } finally {
    process.off('SIGINT', onSig);
  }
}

async function waitUntil(client: ControlClient, done: (s: ServeState) => boolean, timeoutMs: number): Promise<ServeState | null> {
  const deadline = Date.now() + timeoutMs;
  let s = await client.state();
  while (s && !done(s) && Date.now() < deadline) {
    await sleep(200);
    s = await client.state();
  }
  return s;
}

export async function runStop(g: GlobalOptions, shard: string | undefined): Promise<void> {
  const { home, config } = await loadCliConfig(g);
  const client = new ControlClient(home);
  const pid = client.daemonPid();
  if (!pid && shard) throw new ServeError('luna serve is not running', { hint: 'start it with `luna serve up --detach`' });
  if (!pid) {
    // stopping what is already stopped is success: scripts and service units call this blindly
    if (g.json) printJson({ stopped: true, pid: null });
    else process.stdout.write('luna serve is not running\n');
    return;
  }
  if (shard) {
    const r = (await client.post(`/shards/${encodeURIComponent(shard)}/stop`)) as { shard: unknown };
    if (g.json) printJson(r.shard);
    else process.stdout.write(`stopped ${shard}\n`);
    return;
  }
  const spin = await progress('stopping luna serve…', { json: g.json });
  try {
    await client.post('/shutdown', 10_000);
  } catch {
    process.kill(pid, 'SIGTERM'); // the API is wedged; the signal handler does the same clean stop
  }
  const deadline = Date.now() + config.serve.stopGraceMs * 2 + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    spin.fail();
    throw new ServeError(`luna serve (pid ${pid}) did not stop in time`, { hint: `check ${client.paths.daemonLog}` });
  }
  spin.succeed('luna serve stopped');
  const last = readState(client.paths);
  if (g.json) printJson({ stopped: true, pid, shards: last?.shards.map((s) => ({ name: s.name, state: s.state })) ?? [] });
  else if (!process.stderr.isTTY) process.stdout.write(`luna serve stopped (pid ${pid})\n`);
}

export async function runRestart(g: GlobalOptions, shard: string): Promise<void> {
  const { home, config } = await loadCliConfig(g);
  const client = new ControlClient(home);
  const spin = await progress(`restarting ${shard}…`, { json: g.json });
  await client.post(`/shards/${encodeURIComponent(shard)}/restart`, config.serve.stopGraceMs * 2 + 30_000);
  const s = await waitUntil(client, (st) => ['ready', 'failed'].includes(st.shards.find((x) => x.name === shard)?.state ?? ''), config.serve.readyTimeoutMs);
  const mine = s?.shards.find((x) => x.name === shard);
  if (g.json) printJson(mine ?? null);
  if (mine?.state !== 'ready') {
    spin.fail();
    throw new ServeError(`${shard} did not become ready: ${mine?.state ?? 'unknown'}${mine?.lastError ? ` (${mine.lastError})` : ''}`, { hint: `see \`luna serve logs ${shard}\`` });
  }
  spin.succeed(`${shard} ready on port ${mine.port}`);
  if (!g.json && !process.stderr.isTTY) process.stdout.write(`${shard} ready (pid ${mine.pid}, port ${mine.port}, restarts ${mine.restarts})\n`);
}
