import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import type { GlobalOptions } from '../cli/context.js';
import { loadCliConfig } from '../cli/context.js';
import { printJson, progress } from '../cli/output.js';
import { ControlClient } from './control-client.js';
import { ServeError } from './errors.js';
import { readFrom } from './logs.js';
import { assertUniqueShardNames } from './preflight.js';
import { isAlive } from './process-tree.js';
import { readState, runningDaemonPid, servePaths, type ServeState } from './state.js';
import { renderStatus } from './status-view.js';
import { Supervisor } from './supervisor.js';

export interface UpOptions {
  detach: boolean;
  wait: boolean;
  daemonChild: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const settled = (s: ServeState) => s.shards.length > 0 && s.shards.every((x) => x.state === 'ready' || x.state === 'failed');

export async function runUp(g: GlobalOptions, opts: UpOptions): Promise<void> {
  const loaded = await loadCliConfig(g);
  const paths = servePaths(loaded.home);
  const other = runningDaemonPid(paths);
  if (other !== null) throw new ServeError(`luna serve is already running (pid ${other})`, { hint: 'use `luna serve status`, or `luna serve stop` first' });
  // a config error is exit 3 here, not "the daemon exited" (11) after detaching
  assertUniqueShardNames(loaded.config.serve.shards);
  if (opts.detach) return detach(g, loaded.home, loaded.config.serve.readyTimeoutMs, opts.wait);

  const live = !opts.daemonChild && !g.json && Boolean(process.stdout.isTTY);
  const sup = new Supervisor({
    serve: loaded.config.serve,
    home: loaded.home,
    detached: opts.daemonChild,
    onEvent: (shard, event, detail, s) => {
      if (live) return;
      const st = s.runner(shard).status;
      const line = event === 'restart' ? `${shard}: restarting (${detail})` : `${shard}: ${st.state}${detail ? ` — ${detail}` : ''}`;
      process.stderr.write(`${new Date().toISOString()} ${line}\n`);
    },
    onNotice: (text) => process.stderr.write(`${new Date().toISOString()} ${text}\n`),
  });
  await sup.start();
  const onSignal = () => void sup.stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  // a detached daemon has no terminal to lose; a closed ssh session must not stop the engines
  if (opts.daemonChild) process.on('SIGHUP', () => undefined);
  let view: NodeJS.Timeout | null = null;
  if (live) {
    const draw = async () => process.stdout.write(`\x1b[H\x1b[2J${await renderStatus(sup.state())}\nCtrl-C stops every shard.\n`);
    await draw();
    view = setInterval(() => void draw(), 1000);
  } else if (!opts.daemonChild) {
    process.stderr.write(`luna serve: pid ${process.pid}, metrics http://127.0.0.1:${sup.port}/metrics\n`);
  }
  try {
    await sup.wait();
  } finally {
    if (view) clearInterval(view);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (g.json && !opts.daemonChild) printJson(sup.state());
}

/** Re-runs this CLI as a session leader with output in <home>/serve/daemon.log, then waits for it to come up. */
async function detach(g: GlobalOptions, home: string, readyTimeoutMs: number, wait: boolean): Promise<void> {
  const paths = servePaths(home);
  mkdirSync(paths.dir, { recursive: true });
  const out = openSync(paths.daemonLog, 'a');
  // the log outlives runs: a failed start shows only what this daemon wrote, not an older run's errors
  const logStart = fstatSync(out).size;
  const args = [process.argv[1]!, 'serve', 'up', '--daemon-child', '--home', home];
  if (g.config) args.push('--config', path.resolve(g.config));
  if (g.databaseUrl) args.push('--database-url', g.databaseUrl);
  const child = spawn(process.execPath, args, { detached: true, stdio: ['ignore', out, out], env: { ...process.env, LUNA_HOME: home } });
  closeSync(out);
  let exited: string | null = null;
  child.on('exit', (code, sig) => { exited = sig ? `killed by ${sig}` : `exited with code ${code}`; });
  child.unref();
  const pid = child.pid!;
  const spin = await progress('starting luna serve…', { json: g.json });
  const failed = (why: string) => {
    spin.fail();
    const tail = readFrom(paths.daemonLog, logStart).text.trimEnd().split('\n').slice(-6).join('\n').trim();
    return new ServeError(`the luna serve daemon ${why}${tail ? `:\n${tail}` : ''}`, { hint: `full log: ${paths.daemonLog}` });
  };
  // the daemon is up once it has written a state file naming itself
  while (true) {
    const st = readState(paths);
    if (st && st.daemon.pid === pid && st.daemon.status === 'running') break;
    if (exited || !isAlive(pid)) throw failed(exited ?? 'exited');
    await sleep(100);
  }
  const client = new ControlClient(home);
  let state = (await client.state())!;
  if (wait) {
    const deadline = Date.now() + readyTimeoutMs + 5000;
    while (!settled(state) && Date.now() < deadline) {
      if (exited || !isAlive(pid)) throw failed(exited ?? 'exited');
      spin.update(`waiting for shards: ${state.shards.map((s) => `${s.name} ${s.state}`).join(', ')}`);
      await sleep(250);
      state = (await client.state()) ?? state;
    }
  }
  spin.stop();
  if (g.json) printJson(state);
  else process.stdout.write(`luna serve started (pid ${pid})\n${await renderStatus(state)}\n`);
  const bad = state.shards.filter((s) => s.state === 'failed');
  if (bad.length) {
    throw new ServeError(`${bad.map((s) => `${s.name}: ${s.lastError ?? 'failed'}`).join('; ')}`, { hint: `the daemon keeps running; see \`luna serve logs ${bad[0]!.name}\`` });
  }
}
