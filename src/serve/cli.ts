import { existsSync } from 'node:fs';
import type { GlobalOptions } from '../cli/context.js';
import { loadCliConfig } from '../cli/context.js';
import { printJson, printTable, progress } from '../cli/output.js';
import { NotFoundError } from '../errors.js';
import type { ServeConfig } from '../config/schema.js';
import { ControlClient } from './control-client.js';
import { ServeError } from './errors.js';
import { describeLeftovers, findLeftovers, stopLeftovers, type Leftover } from './leftovers.js';
import { readFrom, shardLogFile, tailFile } from './logs.js';
import { formatPlan } from './placement.js';
import { assertCanStart, binaryProblems, modelFileProblems, portProblems, unknownShard } from './preflight.js';
import { isAlive } from './process-tree.js';
import { readState, runningDaemonPid, type ServePaths, type ServeState } from './state.js';
import { renderStatus } from './status-view.js';
import { planFromConfig } from './supervisor.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Ports a new `up` may take although something listens on them now: the running supervisor's own (its shards
 * and control API), or those of engines a dead one left, which `up` stops before it claims any port.
 */
function portsUpMayTake(paths: ServePaths): Set<number> {
  const st = readState(paths);
  if (!st) return new Set();
  const live = runningDaemonPid(paths) === st.daemon.pid;
  const ports = live ? st.shards.map((s) => s.port) : findLeftovers(paths).map((l) => l.port);
  if (live) ports.push(st.daemon.controlPort);
  return new Set(ports.filter((p): p is number => p !== null));
}

export async function runPlan(g: GlobalOptions): Promise<void> {
  const { config, home } = await loadCliConfig(g);
  const { plan, gpus, gpuProblem } = await planFromConfig(config.serve);
  // the checks `up` makes before launching, so a plan that "fits" also starts
  const problems = [...binaryProblems(config.serve), ...modelFileProblems(config.serve), ...(await portProblems(config.serve, portsUpMayTake(new ControlClient(home).paths)))];
  const fits = plan.problems.length === 0 && problems.length === 0;
  if (g.json) printJson({ fits, gpuProblem, discovered: gpus, ...plan, problems: [...plan.problems, ...problems.map((p) => p.text)] });
  else if (plan.shards.length === 0) {
    process.stdout.write(`no shards configured${gpuProblem ? ` (and no GPUs: ${gpuProblem})` : ''}; add serve.shards to luna.yaml — see docs/serve.md\n`);
  } else {
    if (gpuProblem) process.stdout.write(`no GPUs: ${gpuProblem}\n`);
    await printTable(['shard', 'engine', 'GPUs', 'MiB/GPU', 'TP', 'CUDA_VISIBLE_DEVICES'],
      plan.shards.map((s) => [s.shard, s.engine, s.gpuIndices.join(',') || 'CPU', s.memoryMiB || '-', s.tensorParallel, s.env.CUDA_VISIBLE_DEVICES || '(none)']), { align: ['left', 'left', 'left', 'right', 'right', 'left'] });
    if (fits) process.stdout.write(`${formatPlan(plan)}\n`);
  }
  assertCanStart(plan, problems);
}

export async function runStatus(g: GlobalOptions): Promise<void> {
  const { home } = await loadCliConfig(g);
  const client = new ControlClient(home);
  const state = await client.state();
  if (!state) {
    const left = findLeftovers(client.paths);
    if (g.json) printJson({ running: false, leftovers: left.map(({ name, pid, port }) => ({ name, pid, port })), last: readState(client.paths) });
    else if (left.length === 0) process.stdout.write('luna serve is not running (start it with `luna serve up --detach`)\n');
    else {
      const n = left.length === 1 ? '1 engine left behind by a previous supervisor is' : `${left.length} engines left behind by a previous supervisor are`;
      process.stdout.write(`luna serve is not running; ${n} still running: ${describeLeftovers(left)} — stop ${left.length === 1 ? 'it' : 'them'} with \`luna serve stop\`\n`);
    }
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
    const known = shardNames(config.serve, readState(client.paths));
    if (!known.includes(shard)) throw unknownShard(shard, known);
    throw new NotFoundError(`no log for shard "${shard}" yet`, { hint: 'it is written once the shard has started: `luna serve up`' });
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

/** Every shard name worth suggesting: the last supervisor's (it may run another config) and the configured ones. */
function shardNames(serve: ServeConfig, state: ServeState | null): string[] {
  return [...new Set([...(state?.shards.map((s) => s.name) ?? []), ...serve.shards.map((s) => s.name)])];
}

/** The live daemon answers for its own shards only: a name it does not run is not found (exit 4), not a serve failure. */
async function liveShard(client: ControlClient, serve: ServeConfig, shard: string): Promise<void> {
  const live = await client.state();
  const known = live ? live.shards.map((s) => s.name) : shardNames(serve, null);
  if (!known.includes(shard)) throw unknownShard(shard, known);
}

/** With the supervisor gone, `stop` still stops what it left running: that is what holds the ports and GPU memory. */
async function stopLeftoversCli(g: GlobalOptions, paths: ServePaths, serve: ServeConfig, shard: string | undefined): Promise<void> {
  const all = findLeftovers(paths);
  const left = shard ? all.filter((l) => l.name === shard) : all;
  if (shard && left.length === 0) throw new ServeError('luna serve is not running', { hint: 'start it with `luna serve up --detach`' });
  const stuck = await stopLeftovers(paths, left, serve.stopGraceMs);
  const stopped = left.filter((l) => !stuck.includes(l));
  const brief = ({ name, pid, port }: Leftover) => ({ name, pid, port });
  if (g.json) printJson({ stopped: stuck.length === 0, pid: null, leftovers: stopped.map(brief) });
  else if (stopped.length === 0 && stuck.length === 0) process.stdout.write('luna serve is not running\n');
  else if (stopped.length) {
    const what = stopped.length === 1 ? '1 engine' : `${stopped.length} engines`;
    process.stdout.write(`luna serve is not running; stopped ${what} a previous supervisor left running: ${describeLeftovers(stopped)}\n`);
  }
  if (stuck.length) {
    throw new ServeError(`could not stop ${describeLeftovers(stuck)}, left running by a previous supervisor`, { hint: `it may belong to another user: kill it as that user (kill -9 ${stuck.map((l) => l.pid).join(' ')})` });
  }
}

export async function runStop(g: GlobalOptions, shard: string | undefined): Promise<void> {
  const { home, config } = await loadCliConfig(g);
  const client = new ControlClient(home);
  const pid = client.daemonPid();
  if (shard && pid) await liveShard(client, config.serve, shard);
  else if (shard) {
    const known = shardNames(config.serve, readState(client.paths));
    if (!known.includes(shard)) throw unknownShard(shard, known);
  }
  // stopping what is already stopped is success: scripts and service units call this blindly
  if (!pid) return stopLeftoversCli(g, client.paths, config.serve, shard);
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
  await liveShard(client, config.serve, shard);
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
