import { mkdirSync, type Stats, statfsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DatabaseError, LunaError, UsageError } from '../errors.js';
import { describeFsError } from './fs-errors.js';

/** Kernel pseudo-filesystems that list processes and devices: no folder can be made in them. */
const PSEUDO_FS: Record<number, string> = { 0x9fa0: 'procfs', 0x62656572: 'sysfs', 0x27e0eb: 'cgroup', 0x63677270: 'cgroup2', 0x1cd1: 'devpts', 0x64626720: 'debugfs' };

/**
 * `mkdir -p` that always ends. Node's recursive mkdir retries forever when the kernel answers ENOENT for a
 * parent that exists (`--home /proc/x` spun at 100% CPU): this makes one folder at a time, top down, and a
 * failure is a clear error naming the path: a file in the way (exit 2), a read-only or full disk or no
 * permission (exit 5, the database's: luna keeps its data there).
 */
export function ensureDir(dir: string, opts: { what: string; mode?: number; hint?: string }): void {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  for (;;) {
    const st = statOrCode(cur);
    if (typeof st !== 'string') {
      if (!st.isDirectory()) throw notAFolder(dir, cur, opts);
      break;
    }
    if (st !== 'ENOENT' && st !== 'ENOTDIR') throw failure(dir, cur, { code: st }, opts);
    missing.unshift(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  for (const p of missing) {
    try {
      mkdirSync(p, opts.mode === undefined ? {} : { mode: opts.mode });
    } catch (err) {
      // Another process made it meanwhile: fine if it is a folder.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && statSync(p).isDirectory()) continue;
      throw failure(dir, p, err, opts);
    }
  }
}

/**
 * The data dir must be a folder, or a path where one can be made. Checked once when the config loads, so
 * every command says so plainly instead of failing later inside a driver (`--home /etc/passwd` read "EEXIST:
 * mkdir" and "a bug in luna"). Nothing is created here.
 */
export function checkHome(home: string): void {
  let cur = path.resolve(home);
  for (;;) {
    const st = statOrCode(cur);
    if (typeof st !== 'string') {
      if (!st.isDirectory()) throw notAFolder(home, cur, { what: 'data dir' });
      if (cur !== path.resolve(home)) {
        const fs = pseudoFs(cur);
        if (fs) throw new UsageError(`data dir ${home} cannot be created: ${cur} is ${fs}, a kernel file system`, { hint: homeHint() });
      }
      return;
    }
    const up = path.dirname(cur);
    if (up === cur) return;
    cur = up;
  }
}

function homeHint(): string {
  return 'point --home (or LUNA_HOME) at a folder you own, e.g. ~/.luna; it is created if missing';
}

function pseudoFs(p: string): string | null {
  try {
    return PSEUDO_FS[Number(statfsSync(p).type)] ?? null;
  } catch {
    return null;
  }
}

function statOrCode(p: string): Stats | string {
  try {
    return statSync(p);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
  }
}

function notAFolder(dir: string, file: string, opts: { what: string; hint?: string }): LunaError {
  const where = file === path.resolve(dir) ? `${dir} is a file, not a folder` : `${file} is a file, not a folder`;
  return new UsageError(`${opts.what} ${dir}: ${where}`, { hint: opts.hint ?? (opts.what === 'data dir' ? homeHint() : 'pick a path inside a folder') });
}

function failure(dir: string, at: string, err: unknown, opts: { what: string; hint?: string }): LunaError {
  const d = describeFsError(err, at);
  if (d.kind === 'missing') {
    // The parent exists (it was checked first) yet refuses the new name: a kernel file system such as /proc.
    return new UsageError(`cannot create ${opts.what} ${dir}: ${path.dirname(at)} does not allow new folders`, { hint: opts.hint ?? homeHint() });
  }
  // A full, read-only or locked-down disk is where luna keeps its data: the database's exit code (5).
  const Err = d.kind === 'other' ? UsageError : DatabaseError;
  return new Err(`cannot create ${opts.what} ${dir}: ${d.reason}`, { hint: d.hint ?? opts.hint ?? homeHint(), cause: err });
}
