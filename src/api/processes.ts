import { spawn } from 'node:child_process';
import { closeSync, fstatSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { LunaError, NotFoundError } from '../errors.js';
import { readFrom } from '../serve/logs.js';
import { isAlive } from '../serve/process-tree.js';
import { ensureDir } from '../util/ensure-dir.js';
import { writeUserFile } from '../util/safe-write.js';

/**
 * The `luna api` processes running from one LUNA home: each writes `<home>/api/<pid>.json` once it listens
 * and removes it when it stops, so `luna api status`, `luna api stop` and `luna top` find them. A file whose
 * process died without cleaning up (kill -9) is dropped when read.
 */
export interface ApiProcess {
  pid: number;
  url: string;
  startedAt: string;
  /** The log a detached process writes to; null in the foreground (stdout). */
  log: string | null;
}

const dirOf = (home: string) => path.join(home, 'api');
const fileOf = (home: string, pid: number) => path.join(dirOf(home), `${pid}.json`);

export function registerApiProcess(home: string, p: ApiProcess): () => void {
  ensureDir(dirOf(home), { what: 'api folder' });
  writeUserFile(fileOf(home, p.pid), `${JSON.stringify(p)}\n`, { what: 'api process file', mode: 0o600 });
  return () => rmSync(fileOf(home, p.pid), { force: true });
}

export function listApiProcesses(home: string): ApiProcess[] {
  let names: string[];
  try {
    names = readdirSync(dirOf(home)).filter((n) => /^\d+\.json$/.test(n));
  } catch {
    return [];
  }
  const out: ApiProcess[] = [];
  for (const n of names) {
    const file = path.join(dirOf(home), n);
    try {
      const p = JSON.parse(readFileSync(file, 'utf8')) as ApiProcess;
      if (Number.isInteger(p.pid) && isAlive(p.pid)) out.push(p);
      else rmSync(file, { force: true });
    } catch {
      rmSync(file, { force: true });
    }
  }
  return out.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/**
 * Re-runs `luna api serve` (the given arguments, without --detach) as a session leader writing to
 * `<home>/api/api.log`, and resolves once it listens. A child that exits first is an error with its last lines.
 */
export async function startDetachedApi(cliArgs: string[], home: string, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<ApiProcess> {
  ensureDir(dirOf(home), { what: 'api folder' });
  const log = path.join(dirOf(home), 'api.log');
  const out = openSync(log, 'a');
  // The log outlives runs: a failed start shows only what this process wrote, not an older run's errors.
  const logStart = fstatSync(out).size;
  const child = spawn(process.execPath, [process.argv[1]!, ...cliArgs], { detached: true, stdio: ['ignore', out, out], env: { ...process.env, LUNA_HOME: home, LUNA_API_LOG: log } });
  closeSync(out);
  let exited: string | null = null;
  child.on('exit', (code, sig) => (exited = sig ? `was killed by ${sig}` : `exited with code ${code}`));
  child.unref();
  const pid = child.pid!;
  const deadline = Date.now() + opts.timeoutMs;
  const failed = (why: string) => {
    const tail = readFrom(log, logStart).text.trimEnd().split('\n').filter((l) => !l.startsWith('{')).slice(-6).join('\n').trim();
    return new LunaError(`luna api ${why}${tail ? `:\n${tail}` : ''}`, 1, { hint: `full log: ${log}` });
  };
  for (;;) {
    const mine = listApiProcesses(home).find((p) => p.pid === pid);
    if (mine) return mine;
    if (exited) throw failed(exited);
    if (Date.now() > deadline) {
      process.kill(pid, 'SIGTERM');
      throw failed(`did not start listening within ${Math.round(opts.timeoutMs / 1000)} s`);
    }
    if (opts.signal?.aborted) {
      process.kill(pid, 'SIGTERM');
      throw failed('start was cancelled');
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM (graceful: running turns get the shutdown deadline), then waits for the process to go. */
export async function stopApiProcess(home: string, pid: number, waitMs: number): Promise<{ stopped: boolean }> {
  const p = listApiProcesses(home).find((x) => x.pid === pid);
  if (!p) throw new NotFoundError(`no luna api process ${pid} from this home`, { hint: 'luna api status lists them' });
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + waitMs;
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(pid)) return { stopped: false };
  rmSync(fileOf(home, pid), { force: true });
  return { stopped: true };
}
