import { chmodSync, closeSync, linkSync, lstatSync, openSync, readlinkSync, renameSync, rmSync, statSync, type Stats, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { FileWriteError, LunaError, UsageError } from '../errors.js';
import { describeFsError } from './fs-errors.js';

/**
 * Follows a chain of symlinks to the path that will really be written (which may not exist yet: a dangling
 * link names the file to create). Bounded like the kernel's own limit, so a link loop ends.
 */
export function resolveLinks(file: string): string {
  let p = path.resolve(file);
  for (let hops = 0; hops < 40; hops++) {
    let st: Stats;
    try {
      st = lstatSync(p);
    } catch {
      return p;
    }
    if (!st.isSymbolicLink()) return p;
    p = path.resolve(path.dirname(p), readlinkSync(p));
  }
  throw new UsageError(`${file}: too many levels of symbolic links`, { hint: 'the link points back at itself; fix or remove it' });
}

/** A file's stats, or null when nothing is there. */
export function statOrNull(file: string): Stats | null {
  try {
    return statSync(file);
  } catch {
    return null;
  }
}

/**
 * Writes a file the user named (`story export -o`, `luna init`'s luna.yaml). A new name or a plain file is
 * replaced atomically — a temp file beside it, then rename — so it ends whole or untouched. Anything else is
 * written through, never renamed over: a symlink keeps pointing where it did and its target gets the bytes;
 * a FIFO, a device (/dev/null, /dev/stdout) or a file with other hard links gets the bytes in place, instead
 * of being swapped for a new regular file (which, as root, replaced /dev/full itself).
 */
export function writeUserFile(file: string, data: string | Uint8Array, opts: { what: string; /** Mode for the file (default: an existing file's own) */ mode?: number }): void {
  const target = resolveLinks(file);
  const st = statOrNull(target);
  try {
    if (st && (!st.isFile() || st.nlink > 1)) writeThrough(target, data);
    else replaceAtomically(target, data, opts.mode ?? (st ? st.mode & 0o7777 : undefined));
  } catch (err) {
    throw writeError(err, opts.what, target);
  }
}

function writeThrough(target: string, data: string | Uint8Array): void {
  // 'w' on a FIFO waits for a reader, like `cat > fifo`; O_TRUNC means nothing to a device.
  const fd = openSync(target, 'w');
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}

function replaceAtomically(target: string, data: string | Uint8Array, mode: number | undefined): void {
  const tmp = `${target}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data, mode === undefined ? {} : { mode });
    // The umask may have narrowed or (for a replaced file's mode) must not change it.
    if (mode !== undefined) chmodSync(tmp, mode);
    renameSync(tmp, target);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

/**
 * Gives a finished file (a backup written to a temp name) its name without replacing anything already
 * there — a file, a symlink (even a dangling one) or a device: backups never overwrite.
 */
export function placeNewFile(tmp: string, out: string, what: string): void {
  try {
    // A hard link fails if `out` exists in any form, where rename would silently replace it.
    linkSync(tmp, out);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new UsageError(`${out} appeared while the ${what} ran; the ${what} is kept as ${tmp}`, { hint: `rename it to the name you want; ${what}s never overwrite` });
    }
    // Filesystems without hard links: the up-front check (nothing at `out`) has to do.
    try {
      renameSync(tmp, out);
    } catch (err2) {
      throw writeError(err2, what, out);
    }
    return;
  }
  rmSync(tmp, { force: true });
}

/** An fs failure while writing what the user asked for: the cause in words and what to do, not an errno. */
export function writeError(err: unknown, what: string, file: string): LunaError {
  if (err instanceof LunaError) return err;
  const d = describeFsError(err, file);
  return new FileWriteError(`cannot write ${what} ${file}: ${d.reason}`, { hint: d.hint ?? 'check free space and permissions, or pick another path', cause: err });
}
