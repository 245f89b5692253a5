import { accessSync, constants, existsSync } from 'node:fs';
import path from 'node:path';
import { DatabaseError, ExitCode, FileWriteError, LunaError } from '../errors.js';
import { describeFsError, freeBytes, fsFailureKind } from './fs-errors.js';

/** The code of err or of the first cause that has one (drivers and our wrappers nest them). */
function rootCode(err: unknown): { code: string | undefined; message: string | undefined } {
  let cur: unknown = err;
  for (let depth = 0; depth < 5 && cur && typeof cur === 'object'; depth++) {
    const e = cur as { code?: unknown; message?: string; cause?: unknown };
    if (typeof e.code === 'string' && !e.code.startsWith('commander.')) return { code: e.code, message: e.message };
    cur = e.cause;
  }
  return { code: undefined, message: (err as { message?: string } | null)?.message };
}

/**
 * A database write that failed because of the machine — disk full, a read-only file or file system, no
 * permission on the file or its folder — as DatabaseError (exit 5) with the cause and the fix, naming the
 * file and the filesystem. It used to read as an unexpected error ("re-run with --debug"). Anything else
 * is returned unchanged.
 */
export function storageError(err: unknown, dbFile: string): unknown {
  const { code, message } = rootCode(err);
  // Our own errors about Node fs calls (ensureDir) already name the path and the fix. A generic failure
  // that carries only SQLite's words (a turn's error event: "database or disk is full") is judged by them.
  if (err instanceof FileWriteError) return err;
  if (err instanceof LunaError && !code?.startsWith('SQLITE') && err.exitCode !== ExitCode.failure) return err;
  let kind = fsFailureKind(code, message);
  // SQLite opens with a bare CANTOPEN when it may not create the file (or its -wal/-shm) in the folder.
  if (kind === 'other' && code === 'SQLITE_CANTOPEN' && !canWrite(path.dirname(dbFile))) kind = 'denied';
  // A full disk often surfaces as an I/O error (SQLITE_IOERR_SHMSIZE: the -shm file cannot grow).
  if (kind === 'io' && (freeBytes(dbFile) ?? Infinity) < 1024 * 1024) kind = 'full';
  if (kind === 'other' || kind === 'missing') return err;
  const d = describeFsError({ code, message }, dbFile, kind);
  let hint = d.hint;
  if (kind === 'denied' || (kind === 'read-only' && d.code?.startsWith('SQLITE'))) {
    const dir = path.dirname(dbFile);
    // SQLite needs the file and, for its -wal/-shm files, the folder.
    const parts = [existsSync(dbFile) && !canWrite(dbFile) ? dbFile : null, canWrite(dir) ? null : `the folder ${dir}`].filter(Boolean);
    const target = parts.length ? parts.join(' and ') : `${dbFile} and the folder ${dir}`;
    hint = `make ${target} writable by this user (ls -l ${dir}), or point --home / --database-url somewhere writable`;
  }
  const verb = code === 'SQLITE_CANTOPEN' ? 'open' : 'write to';
  return new DatabaseError(`cannot ${verb} the database ${dbFile}: ${d.reason}`, { hint, cause: err });
}

function canWrite(p: string): boolean {
  try {
    accessSync(p, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
