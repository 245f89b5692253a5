import { statfsSync, statSync } from 'node:fs';
import path from 'node:path';

/** The nearest path at or above p that exists (p itself may be a file not yet written). */
export function nearestExisting(p: string): string {
  let cur = path.resolve(p);
  for (;;) {
    try {
      statSync(cur);
      return cur;
    } catch {
      const up = path.dirname(cur);
      if (up === cur) return cur;
      cur = up;
    }
  }
}

/** The mount point of the filesystem holding p: the highest ancestor on the same device. */
export function mountPointOf(p: string): string {
  let cur = nearestExisting(p);
  let dev: number;
  try {
    dev = statSync(cur).dev;
  } catch {
    return cur;
  }
  for (;;) {
    const up = path.dirname(cur);
    if (up === cur) return cur;
    try {
      if (statSync(up).dev !== dev) return cur;
    } catch {
      return cur;
    }
    cur = up;
  }
}

/** Bytes an unprivileged writer may still use on p's filesystem, or null if the platform cannot say. */
export function freeBytes(p: string): number | null {
  try {
    const s = statfsSync(nearestExisting(p));
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

export type FsFailure = 'full' | 'read-only' | 'denied' | 'io' | 'missing' | 'other';

export interface FsErrorDescription {
  kind: FsFailure;
  code: string | undefined;
  /** "no space left on device (ENOSPC)": the cause in words, with the code for searching. */
  reason: string;
  hint: string | undefined;
}

/**
 * Says what an fs (or SQLite) failure on `file` means and what fixes it. Disk full and read-only are the
 * machine's state, not a bug: the hint names the filesystem to free or the path to make writable.
 */
export function describeFsError(err: unknown, file: string, knownKind?: FsFailure): FsErrorDescription {
  const e = (err ?? {}) as { code?: string; message?: string };
  const code = e.code;
  const kind = knownKind ?? fsFailureKind(code, e.message);
  const dir = path.dirname(path.resolve(file));
  switch (kind) {
    case 'full':
      return { kind, code, reason: `no space left on device (${code ?? 'ENOSPC'})`, hint: `free space on ${mountPointOf(file)} (df -h ${mountPointOf(file)}), then retry` };
    case 'read-only':
      return code === 'EROFS' || /read-only file ?system/i.test(e.message ?? '')
        ? { kind, code, reason: `read-only file system (${code ?? 'EROFS'})`, hint: `${mountPointOf(file)} is mounted read-only: remount it read-write or pick a path on a writable filesystem` }
        : { kind, code, reason: `it is read-only for this user (${code ?? 'SQLITE_READONLY'})`, hint: `make ${file} and its folder ${dir} writable by this user (ls -l ${dir}), or point luna at a copy you can write` };
    case 'denied':
      return { kind, code, reason: `permission denied (${code ?? 'EACCES'})`, hint: `make ${dir} writable by this user (ls -ld ${dir}), or pick another path` };
    case 'io':
      return { kind, code, reason: `input/output error (${code ?? 'EIO'})`, hint: 'the device failed to read or write; check the disk (dmesg) and retry' };
    case 'missing':
      return { kind, code, reason: `no such file or folder (${code ?? 'ENOENT'})`, hint: `check that ${dir} exists` };
    default:
      return { kind, code, reason: e.message ?? String(err), hint: undefined };
  }
}

export function fsFailureKind(code: string | undefined, message?: string): FsFailure {
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
    case 'SQLITE_FULL':
      return 'full';
    case 'EROFS':
    case 'SQLITE_READONLY':
    case 'SQLITE_READONLY_DBMOVED':
    case 'SQLITE_READONLY_DIRECTORY':
    case 'SQLITE_READONLY_CANTINIT':
    case 'SQLITE_READONLY_CANTLOCK':
    case 'SQLITE_READONLY_RECOVERY':
    case 'SQLITE_READONLY_ROLLBACK':
      return 'read-only';
    case 'EACCES':
    case 'EPERM':
    case 'SQLITE_PERM':
    case 'SQLITE_AUTH':
      return 'denied';
    case 'EIO':
      return 'io';
    case 'ENOENT':
      return 'missing';
    default:
      if (code?.startsWith('SQLITE_IOERR')) return /full|space/i.test(message ?? '') ? 'full' : 'io';
      if (/disk is full|no space left/i.test(message ?? '')) return 'full';
      if (/readonly database|read-only file ?system/i.test(message ?? '')) return 'read-only';
      if (/disk I\/O error/i.test(message ?? '')) return 'io';
      return 'other';
  }
}
