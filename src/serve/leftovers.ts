import { isAlive, killTree, readProc } from './process-tree.js';
import { daemonAlive, readState, writeJsonAtomic, type ServePaths, type ServeState } from './state.js';

/** An engine whose supervisor died without stopping it (SIGKILL, OOM killer): it still holds its port and GPU memory. */
export interface Leftover {
  name: string;
  pid: number;
  port: number | null;
  startTime: number;
}

/**
 * Is pid still the engine the state file recorded? The /proc start time must match (a recycled pid has another)
 * and the process must still lead its own process group, as every engine is started in its own session.
 */
export function isOurEngine(pid: number, startTime: number): boolean {
  const e = readProc(pid);
  return e !== null && isAlive(pid, startTime) && e.pgid === pid;
}

/** Engines named by the state file of a supervisor that is gone; [] while that supervisor (or we) still run. */
export function findLeftovers(paths: ServePaths, self: number = process.pid): Leftover[] {
  const old = readState(paths);
  if (!old || old.daemon.pid === self || daemonAlive(old)) return [];
  const out: Leftover[] = [];
  for (const s of old.shards) {
    if (!s.pid || typeof s.pidStartTime !== 'number' || !isOurEngine(s.pid, s.pidStartTime)) continue;
    out.push({ name: s.name, pid: s.pid, port: s.port, startTime: s.pidStartTime });
  }
  return out;
}

export function describeLeftovers(list: Leftover[]): string {
  return list.map((l) => `${l.name} (pid ${l.pid}${l.port ? `, port ${l.port}` : ''})`).join(', ');
}

/**
 * Stops leftovers the same way a supervisor stops its shards (group SIGTERM, grace, SIGKILL, sweep), each
 * re-verified just before it is signalled. Returns the ones still alive afterwards (e.g. owned by another user).
 */
export async function stopLeftovers(paths: ServePaths, list: Leftover[], graceMs: number, onStop?: (l: Leftover) => void): Promise<Leftover[]> {
  for (const l of list) {
    if (!isOurEngine(l.pid, l.startTime)) continue;
    onStop?.(l);
    await killTree(l.pid, graceMs);
  }
  forgetStopped(paths, list);
  return list.filter((l) => isOurEngine(l.pid, l.startTime));
}

/** Clears the stopped engines from the dead supervisor's state file, so `status --json`'s `last` stops naming them. */
function forgetStopped(paths: ServePaths, list: Leftover[]): void {
  const st = readState(paths);
  // a supervisor that started meanwhile owns the file now
  if (!st || daemonAlive(st)) return;
  let changed = false;
  const shards = st.shards.map((s) => {
    const l = list.find((x) => x.pid === s.pid && x.startTime === s.pidStartTime);
    if (!l || isOurEngine(l.pid, l.startTime)) return s;
    changed = true;
    return { ...s, pid: null, pidStartTime: null, readySince: null, state: 'stopped' as const, lastExit: 'stopped: its supervisor had died' };
  });
  if (changed) writeJsonAtomic(paths.state, { ...st, daemon: { ...st.daemon, status: 'stopped' }, shards } satisfies ServeState);
}
