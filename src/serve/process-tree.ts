import { readdirSync, readFileSync } from 'node:fs';

/** One row of /proc: enough to follow parents, process groups, and to tell a reused pid from the original. */
export interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
  state: string;
  startTime: number;
}

export function readProc(pid: number): ProcEntry | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm may contain spaces and parentheses; fields resume after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { pid, state: rest[0] ?? '?', ppid: Number(rest[1]), pgid: Number(rest[2]), startTime: Number(rest[19]) };
  } catch {
    return null;
  }
}

export function readProcTable(): ProcEntry[] {
  const out: ProcEntry[] = [];
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const n of names) {
    if (!/^\d+$/.test(n)) continue;
    const e = readProc(Number(n));
    if (e) out.push(e);
  }
  return out;
}

/** Zombies are dead for our purposes: they hold no GPU memory or port. */
export function isAlive(pid: number, startTime?: number): boolean {
  const e = readProc(pid);
  if (!e || e.state === 'Z' || e.state === 'X') return false;
  return startTime === undefined || e.startTime === startTime;
}

/** Every process under root (children, grandchildren…) plus everything in root's process group. */
export function treeOf(rootPid: number, table: ProcEntry[] = readProcTable()): ProcEntry[] {
  const byParent = new Map<number, ProcEntry[]>();
  for (const e of table) byParent.set(e.ppid, [...(byParent.get(e.ppid) ?? []), e]);
  const seen = new Map<number, ProcEntry>();
  const queue = table.filter((e) => e.pid === rootPid || e.pgid === rootPid);
  while (queue.length) {
    const e = queue.shift()!;
    if (seen.has(e.pid)) continue;
    seen.set(e.pid, e);
    queue.push(...(byParent.get(e.pid) ?? []));
  }
  return [...seen.values()];
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone, or not ours: nothing left to do
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * SIGTERM to the group, SIGKILL after the grace period, then a sweep of anything that escaped the group
 * (a worker that called setsid, a grandchild that ignores SIGTERM). `known` holds descendants seen earlier,
 * because once the engine dies its orphans are re-parented and can no longer be found by walking down.
 * Returns the pids that needed SIGKILL.
 */
export async function killTree(rootPid: number, graceMs: number, known: Map<number, number> = new Map()): Promise<number[]> {
  const members = new Map<number, number>(known);
  const collect = () => {
    const table = readProcTable();
    for (const e of treeOf(rootPid, table)) members.set(e.pid, e.startTime);
    // children of already-known orphans are ours too
    for (const e of table) if (members.has(e.ppid) && !members.has(e.pid)) members.set(e.pid, e.startTime);
  };
  collect();
  const alive = () => [...members].filter(([pid, st]) => pid !== process.pid && isAlive(pid, st));
  signal(-rootPid, 'SIGTERM');
  for (const [pid] of alive()) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && alive().length) await sleep(Math.min(50, graceMs));
  const killed: number[] = [];
  for (let round = 0; round < 5; round++) {
    collect();
    const left = alive();
    if (!left.length) break;
    signal(-rootPid, 'SIGKILL');
    for (const [pid] of left) {
      signal(pid, 'SIGKILL');
      if (!killed.includes(pid)) killed.push(pid);
    }
    await sleep(50);
  }
  return killed;
}
