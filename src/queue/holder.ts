import { hostname } from 'node:os';

/**
 * Who holds a claimed job, as the store records it: the worker's id plus the host and pid of its process,
 * `dreamer-7@gpu-box:4211` (a default `luna dream` id is already `host:pid`). A worker on the same host can
 * then tell that the holder's process is gone (kill -9, OOM, a power cut of the process) and take the job
 * back at once instead of waiting out its lock (2 minutes). Assumes workers sharing a database have
 * distinct host names, as the default worker ids already do.
 */
export function holderId(workerId: string, host = hostname(), pid = process.pid): string {
  const self = `${host}:${pid}`;
  return workerId === self || workerId.endsWith(`@${self}`) ? workerId : `${workerId}@${self}`;
}

/** The host and pid a holder id names, or null for ids from elsewhere (`bullmq`, a custom --worker before this). */
export function parseHolder(holder: string): { host: string; pid: number } | null {
  const m = /(?:^|@)([^@:\s]+):(\d+)$/.exec(holder);
  if (!m) return null;
  const pid = Number(m[2]);
  return Number.isSafeInteger(pid) && pid > 0 ? { host: m[1]!, pid } : null;
}

/** True only when the holder ran on this host and its process no longer exists. */
export function holderIsGone(holder: string, host = hostname()): boolean {
  const h = parseHolder(holder);
  if (!h || h.host !== host || h.pid === process.pid) return false;
  try {
    process.kill(h.pid, 0);
    return false;
  } catch (err) {
    // EPERM: the process exists under another user.
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}
