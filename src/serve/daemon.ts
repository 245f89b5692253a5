import { spawn } from 'node:child_process';
import { closeSync, existsSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { ServeConfig } from '../config/schema.js';
import { NotFoundError } from '../errors.js';
import { ControlClient } from './control-client.js';
import { ServeError } from './errors.js';
import { findLeftovers, stopLeftovers, type Leftover } from './leftovers.js';
import { readFrom, shardLogFile } from './logs.js';
import { unknownShard } from './preflight.js';
import { isAlive } from './process-tree.js';
import { readState, runningDaemonPid, servePaths, type ServePaths, type ServeState, type ShardStatus } from './state.js';

/**
 * The serve daemon's lifecycle as plain functions: start it detached, wait on its state, stop it. They return
 * data or throw ServeError; the commands under src/commands/serve render.
 */

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const settled = (s: ServeState) => s.shards.length > 0 && s.shards.every((x) => x.state === 'ready' || x.state === 'failed');

export interface StartDaemonOptions {
  home: string;
  /** Passed on to the daemon so it reads the same config and database as this process. */
  configFile?: string;
  databaseUrl?: string;
  readyTimeoutMs: number;
  /** Also wait until every shard is ready or failed. */
  wait: boolean;
  /** The CLI entry to re-run as the daemon (default: this process's script). */
  entry?: string;
  onProgress?: (text: string) => void;
}

/** Throws ServeError when a supervisor already runs under this home. */
export function assertNotRunning(home: string): void {
  const other = runningDaemonPid(servePaths(home));
  if (other !== null) throw new ServeError(`luna serve is already running (pid ${other})`, { hint: 'use `luna serve status`, or `luna serve stop` first' });
}

/** Re-runs this CLI as a session leader with output in <home>/serve/daemon.log, then waits for it to come up. */
export async function startDaemon(o: StartDaemonOptions): Promise<{ pid: number; state: ServeState }> {
  const paths = servePaths(o.home);
  mkdirSync(paths.dir, { recursive: true });
  const out = openSync(paths.daemonLog, 'a');
  // the log outlives runs: a failed start shows only what this daemon wrote, not an older run's errors
  const logStart = fstatSync(out).size;
  const args = [o.entry ?? process.argv[1]!, 'serve', 'up', '--daemon-child', '--home', o.home];
  if (o.configFile) args.push('--config', path.resolve(o.configFile));
  if (o.databaseUrl) args.push('--database-url', o.databaseUrl);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, LUNA_HOME: o.home } });
  closeSync(out);
  let exited: string | null = null;
  child.on('exit', (code, sig) => { exited = sig ? `killed by ${sig}` : `exited with code ${code}`; });
  child.unref();
  const pid = child.pid!;
  // isAlive turns false as soon as the child is reaped, a moment before its 'exit' event brings the code
  const exitReason = async (): Promise<string> => {
    for (let i = 0; i < 20 && !exited; i++) await sleep(50);
    return exited ?? 'exited';
  };
  const failed = (why: string) => {
    const tail = readFrom(paths.daemonLog, logStart).text.trimEnd().split('\n').slice(-6).join('\n').trim();
    return new ServeError(`the luna serve daemon ${why}${tail ? `:\n${tail}` : ''}`, { hint: `full log: ${paths.daemonLog}` });
  };
  // the daemon is up once it has written a state file naming itself
  while (true) {
    const st = readState(paths);
    if (st && st.daemon.pid === pid && st.daemon.status === 'running') break;
    if (exited || !isAlive(pid)) throw failed(await exitReason());
    await sleep(100);
  }
  const client = new ControlClient(o.home);
  let state = (await client.state())!;
  if (o.wait) {
    const deadline = Date.now() + o.readyTimeoutMs + 5000;
    while (!settled(state) && Date.now() < deadline) {
      if (exited || !isAlive(pid)) throw failed(await exitReason());
      o.onProgress?.(`waiting for shards: ${state.shards.map((s) => `${s.name} ${s.state}`).join(', ')}`);
      await sleep(250);
      state = (await client.state()) ?? state;
    }
  }
  return { pid, state };
}

/** The shards that failed to start, as one error (the daemon keeps running); null when none did. */
export function failedShardsError(state: ServeState): ServeError | null {
  const bad = state.shards.filter((s) => s.state === 'failed');
  if (!bad.length) return null;
  return new ServeError(`${bad.map((s) => `${s.name}: ${s.lastError ?? 'failed'}`).join('; ')}`, { hint: `the daemon keeps running; see \`luna serve logs ${bad[0]!.name}\`` });
}

/** Polls the daemon's state until `done` holds or the timeout passes; the last state seen (null: not running). */
export async function waitForState(client: ControlClient, done: (s: ServeState) => boolean, timeoutMs: number): Promise<ServeState | null> {
  const deadline = Date.now() + timeoutMs;
  let s = await client.state();
  while (s && !done(s) && Date.now() < deadline) {
    await sleep(200);
    s = await client.state();
  }
  return s;
}

/** Waits until `shard` is ready or failed; its last status (undefined when the daemon no longer reports it). */
export async function waitReady(client: ControlClient, shard: string, timeoutMs: number): Promise<ShardStatus | undefined> {
  const s = await waitForState(client, (st) => ['ready', 'failed'].includes(st.shards.find((x) => x.name === shard)?.state ?? ''), timeoutMs);
  return s?.shards.find((x) => x.name === shard);
}

/** Asks the daemon to shut down (SIGTERM when its API is wedged) and waits for it to exit; ServeError if it does not. */
export async function stopDaemon(client: ControlClient, pid: number, stopGraceMs: number): Promise<void> {
  try {
    await client.post('/shutdown', 10_000);
  } catch {
    process.kill(pid, 'SIGTERM'); // the API is wedged; the signal handler does the same clean stop
  }
  const deadline = Date.now() + stopGraceMs * 2 + 10_000;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) throw new ServeError(`luna serve (pid ${pid}) did not stop in time`, { hint: `check ${client.paths.daemonLog}` });
}

/**
 * Ports a new `up` may take although something listens on them now: the running supervisor's own (its shards
 * and control API), or those of engines a dead one left, which `up` stops before it claims any port.
 */
export function portsUpMayTake(paths: ServePaths): Set<number> {
  const st = readState(paths);
  if (!st) return new Set();
  const live = runningDaemonPid(paths) === st.daemon.pid;
  const ports = live ? st.shards.map((s) => s.port) : findLeftovers(paths).map((l) => l.port);
  if (live) ports.push(st.daemon.controlPort);
  return new Set(ports.filter((p): p is number => p !== null));
}

/** Every shard name worth suggesting: the last supervisor's (it may run another config) and the configured ones. */
export function shardNames(serve: ServeConfig, state: ServeState | null): string[] {
  return [...new Set([...(state?.shards.map((s) => s.name) ?? []), ...serve.shards.map((s) => s.name)])];
}

/** Throws NotFoundError naming the known shards unless `shard` is one of the configured or last-run ones. */
export function assertKnownShard(paths: ServePaths, serve: ServeConfig, shard: string): void {
  const known = shardNames(serve, readState(paths));
  if (!known.includes(shard)) throw unknownShard(shard, known);
}

/** The live daemon answers for its own shards only: a name it does not run is not found (exit 4), not a serve failure. */
export async function assertLiveShard(client: ControlClient, serve: ServeConfig, shard: string): Promise<void> {
  const live = await client.state();
  const known = live ? live.shards.map((s) => s.name) : shardNames(serve, null);
  if (!known.includes(shard)) throw unknownShard(shard, known);
}

/** The log file of a known shard; NotFoundError when it is unknown or has not started yet. */
export function shardLog(paths: ServePaths, serve: ServeConfig, shard: string): string {
  const file = shardLogFile(paths.logs, shard);
  if (existsSync(file)) return file;
  assertKnownShard(paths, serve, shard);
  throw new NotFoundError(`no log for shard "${shard}" yet`, { hint: 'it is written once the shard has started: `luna serve up`' });
}

/**
 * With the supervisor gone, `stop` still stops what it left running: that is what holds the ports and GPU memory.
 * Returns what stopped and what would not; ServeError when a named shard has nothing left to stop.
 */
export async function stopLeftoverEngines(paths: ServePaths, serve: ServeConfig, shard: string | undefined): Promise<{ stopped: Leftover[]; stuck: Leftover[] }> {
  const all = findLeftovers(paths);
  const left = shard ? all.filter((l) => l.name === shard) : all;
  if (shard && left.length === 0) throw new ServeError('luna serve is not running', { hint: 'start it with `luna serve up --detach`' });
  const stuck = await stopLeftovers(paths, left, serve.stopGraceMs);
  return { stopped: left.filter((l) => !stuck.includes(l)), stuck };
}
