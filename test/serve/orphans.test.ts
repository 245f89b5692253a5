import { afterAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { TINY_MODEL } from '../helpers/shared.js';
import { isPortFree } from '../../src/serve/ports.js';
import { isAlive, readProc } from '../../src/serve/process-tree.js';
import { readState, runningDaemonPid, servePaths, writeJsonAtomic, type ServeState } from '../../src/serve/state.js';
import { makeSandbox, REPO, waitFor } from './helpers.js';

const box = makeSandbox();
const paths = servePaths(box.home);
const gcPidFile = path.join(box.dir, 'gc.pid');
const started: ChildProcess[] = [];
/** Every daemon and engine pid seen, with its start time: killed at the end if still that very process. */
const seen: Array<[number, number]> = [];
const remember = (pid: number | null | undefined) => {
  const e = pid ? readProc(pid) : null;
  if (e) seen.push([e.pid, e.startTime]);
};

writeFileSync(path.join(box.dir, 'luna.yaml'), [
  'serve:',
  '  healthIntervalMs: 200',
  '  stopGraceMs: 1500',
  '  metricsPort: 0',
  '  shards:',
  `    - { name: demo, engine: local, model: ${JSON.stringify(TINY_MODEL)}, serves: [demo], parallel: 2 }`,
  `    - { name: cpp, engine: llamacpp, model: ${JSON.stringify(TINY_MODEL)}, env: { FAKE_GRANDCHILD_PID_FILE: ${JSON.stringify(gcPidFile)}, FAKE_GRANDCHILD_ESCAPE: "1" } }`,
  '',
].join('\n'));

function luna(args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [path.join(REPO, 'bin/luna'), '--config', path.join(box.dir, 'luna.yaml'), ...args], { env: box.env, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

afterAll(() => {
  // never leave a daemon, an engine or the escaped grandchild running, whatever failed above
  try {
    remember(Number(readFileSync(gcPidFile, 'utf8')));
  } catch {
    // no grandchild was started
  }
  for (const [pid, startTime] of seen) {
    if (isAlive(pid, startTime)) process.kill(pid, 'SIGKILL');
  }
  for (const c of started) if (c.exitCode === null) c.kill('SIGKILL');
  box.cleanup();
});

describe('engines left running by a supervisor killed with SIGKILL', () => {
  it('status warns about them, stop stops them (one or all, whole tree, ports freed), unknown shards exit 4', async () => {
    const up = luna(['serve', 'up', '--detach']);
    expect(up.code, up.stderr).toBe(0);
    const first = readState(paths)!;
    const daemon = first.daemon.pid;
    const demo = first.shards.find((s) => s.name === 'demo')!;
    const cpp = first.shards.find((s) => s.name === 'cpp')!;
    for (const pid of [daemon, demo.pid, cpp.pid]) remember(pid);
    expect(demo.state).toBe('ready');

    // unknown shard names are "not found" (4) with the shard names, the same as `logs`
    for (const args of [['stop', 'nope'], ['restart', 'nope'], ['logs', 'nope']]) {
      const r = luna(['serve', ...args]);
      expect(r.code, args.join(' ')).toBe(4);
      expect(r.stderr).toContain('luna: no shard named "nope"');
      expect(r.stderr).toContain('hint: shards: demo, cpp');
    }

    process.kill(Number(readFileSync(paths.pid, 'utf8')), 'SIGKILL');
    await waitFor('daemon dead', () => !isAlive(daemon));
    const gc = Number(readFileSync(gcPidFile, 'utf8'));
    remember(gc);
    for (const pid of [demo.pid!, cpp.pid!, gc]) expect(isAlive(pid)).toBe(true);
    expect(await isPortFree(demo.port!)).toBe(false);

    const st = luna(['serve', 'status']);
    expect(st.code).toBe(0);
    expect(st.stdout).toContain('luna serve is not running; 2 engines left behind by a previous supervisor are still running:');
    expect(st.stdout).toContain(`demo (pid ${demo.pid}, port ${demo.port})`);
    expect(st.stdout).toContain('luna serve stop');
    const json = JSON.parse(luna(['serve', 'status', '--json']).stdout);
    expect(json).toMatchObject({ running: false, leftovers: [{ name: 'demo', pid: demo.pid, port: demo.port }, { name: 'cpp', pid: cpp.pid }] });

    // a shard that is configured but not left running still needs a daemon; an unknown one is still 4
    expect(luna(['serve', 'restart', 'demo']).code).toBe(11);
    expect(luna(['serve', 'stop', 'nope']).code).toBe(4);

    // one shard by name: only its engine (and the worker that left its group) goes
    const one = luna(['serve', 'stop', 'cpp']);
    expect(one.code, one.stderr).toBe(0);
    expect(one.stdout).toBe(`luna serve is not running; stopped 1 engine a previous supervisor left running: cpp (pid ${cpp.pid}, port ${cpp.port})\n`);
    expect(isAlive(cpp.pid!)).toBe(false);
    expect(isAlive(gc)).toBe(false);
    expect(isAlive(demo.pid!)).toBe(true);
    expect(luna(['serve', 'stop', 'cpp']).code).toBe(11);

    const stop = luna(['serve', 'stop']);
    expect(stop.code, stop.stderr).toBe(0);
    expect(stop.stdout).toBe(`luna serve is not running; stopped 1 engine a previous supervisor left running: demo (pid ${demo.pid}, port ${demo.port})\n`);
    expect(isAlive(demo.pid!)).toBe(false);
    expect(await isPortFree(demo.port!)).toBe(true);

    expect(luna(['serve', 'status']).stdout).toBe('luna serve is not running (start it with `luna serve up --detach`)\n');
    expect(luna(['serve', 'stop']).stdout).toBe('luna serve is not running\n');
    expect(readState(paths)!.shards.every((s) => s.pid === null && s.state === 'stopped')).toBe(true);
  }, 90_000);

  it('never signals a process that only reuses a recorded pid, or that is not an engine root', async () => {
    const other = makeSandbox();
    const otherPaths = servePaths(other.home);
    const run = (args: string[]) => spawnSync(process.execPath, [path.join(REPO, 'bin/luna'), '--config', path.join(box.dir, 'luna.yaml'), ...args], { env: other.env, encoding: 'utf8', timeout: 60_000 });
    // Two real processes in the test's own process group: one is recorded with a wrong start time (a
    // recycled pid), the other with its real start time but it does not lead its own group, as engines do.
    const spawnSleeper = () => {
      const c = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
      started.push(c);
      return c.pid!;
    };
    const recycled = spawnSleeper();
    const notLeader = spawnSleeper();
    await waitFor('sleepers up', () => readProc(recycled) && readProc(notLeader));
    const shard = (name: string, pid: number, pidStartTime: number) => ({
      name, engine: 'local', model: TINY_MODEL, serves: [], servedNames: [name], gpus: [], gpuUuids: [], port: 1, state: 'ready', pid, pidStartTime,
      readySince: null, restarts: 0, lastExit: null, lastError: null, running: null, waiting: null, kvCache: null, tokensPerSec: null,
    });
    // the daemon pid is a live process too, but recorded with another start time: it is dead, its pid reused
    mkdirSync(otherPaths.dir, { recursive: true });
    writeFileSync(otherPaths.pid, `${recycled}\n`);
    writeJsonAtomic(otherPaths.state, {
      daemon: { pid: recycled, pidStartTime: readProc(recycled)!.startTime + 1, startedAt: new Date().toISOString(), controlPort: 1, status: 'running', detached: true },
      updatedAt: new Date().toISOString(),
      shards: [shard('demo', recycled, readProc(recycled)!.startTime + 7), shard('cpp', notLeader, readProc(notLeader)!.startTime)],
      gpus: [], gpuProblem: null, host: null,
    } as ServeState);

    try {
      expect(runningDaemonPid(otherPaths)).toBeNull();
      expect(run(['serve', 'status']).stdout).toBe('luna serve is not running (start it with `luna serve up --detach`)\n');
      const stop = run(['serve', 'stop']);
      expect(stop.status).toBe(0);
      expect(stop.stdout).toBe('luna serve is not running\n');
      await new Promise((r) => setTimeout(r, 300));
      expect(isAlive(recycled)).toBe(true);
      expect(isAlive(notLeader)).toBe(true);
    } finally {
      other.cleanup();
    }
  }, 30_000);
});
