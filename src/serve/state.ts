import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GpuInfo, HostInfo } from './gpu.js';
import { isAlive } from './process-tree.js';

export type ShardState = 'pending' | 'starting' | 'ready' | 'unhealthy' | 'backoff' | 'stopping' | 'stopped' | 'failed';

export interface ShardStatus {
  name: string;
  engine: 'vllm' | 'llamacpp' | 'local';
  model: string;
  /** Config model names routed here. */
  serves: string[];
  /** Names sent as `model` in requests (the engine's served-model-name). */
  servedNames: string[];
  gpus: number[];
  gpuUuids: string[];
  port: number | null;
  state: ShardState;
  pid: number | null;
  /** /proc start time of pid: tells a leftover engine from an unrelated process that reused the pid. */
  pidStartTime: number | null;
  /** When the current process became ready (ISO); null unless ready. */
  readySince: string | null;
  restarts: number;
  lastExit: string | null;
  lastError: string | null;
  running: number | null;
  waiting: number | null;
  kvCache: number | null;
  tokensPerSec: number | null;
}

export interface ServeState {
  daemon: {
    pid: number;
    /** /proc start time of pid (absent in state files from older versions): a recycled pid is not the daemon. */
    pidStartTime?: number | null;
    startedAt: string;
    controlPort: number;
    status: 'running' | 'stopping' | 'stopped';
    detached: boolean;
  };
  updatedAt: string;
  shards: ShardStatus[];
  gpus: GpuInfo[];
  gpuProblem: string | null;
  host: HostInfo | null;
}

export interface ServePaths {
  dir: string;
  state: string;
  pid: string;
  logs: string;
  daemonLog: string;
}

export function servePaths(home: string): ServePaths {
  const dir = path.join(home, 'serve');
  return { dir, state: path.join(dir, 'state.json'), pid: path.join(dir, 'daemon.pid'), logs: path.join(dir, 'logs'), daemonLog: path.join(dir, 'daemon.log') };
}

/** Write-then-rename so readers (status, the endpoint source) never see half a file. */
export function writeJsonAtomic(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(value, null, 2)}\n`);
  renameSync(tmp, file);
}

export function readState(paths: ServePaths): ServeState | null {
  try {
    return JSON.parse(readFileSync(paths.state, 'utf8')) as ServeState;
  } catch {
    return null;
  }
}

/** The running supervisor's pid, or null (a pid file left by a dead one does not count). */
export function runningDaemonPid(paths: ServePaths): number | null {
  let pid: number;
  try {
    pid = Number(readFileSync(paths.pid, 'utf8').trim());
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return null;
  // The pid file holds only the number (scripts run `kill $(cat daemon.pid)`); the state file's start time
  // tells a dead daemon's pid, reused by an unrelated process, from the daemon itself.
  const st = readState(paths);
  if (st?.daemon.pid === pid && typeof st.daemon.pidStartTime === 'number' && !isAlive(pid, st.daemon.pidStartTime)) return null;
  return pid;
}

/** Whether the supervisor that wrote this state is still alive (pid and, when recorded, start time). */
export function daemonAlive(state: ServeState): boolean {
  return isAlive(state.daemon.pid, typeof state.daemon.pidStartTime === 'number' ? state.daemon.pidStartTime : undefined);
}

/** Claims the pid file; returns the pid of a live supervisor that already holds it instead. */
export function acquirePidFile(paths: ServePaths): number | null {
  mkdirSync(paths.dir, { recursive: true });
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      // 'wx' fails if the file exists: two `up`s racing cannot both win.
      writeFileSync(paths.pid, `${process.pid}\n`, { flag: 'wx' });
      return null;
    } catch {
      const other = runningDaemonPid(paths);
      if (other !== null) return other;
      rmSync(paths.pid, { force: true });
    }
  }
  return runningDaemonPid(paths) ?? -1;
}

export function removePidFile(paths: ServePaths): void {
  try {
    if (Number(readFileSync(paths.pid, 'utf8').trim()) === process.pid) rmSync(paths.pid, { force: true });
  } catch {
    // already gone
  }
}
