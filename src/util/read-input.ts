import { readFileSync, statSync } from 'node:fs';
import { NotFoundError, UsageError } from '../errors.js';

/**
 * Reads a file the user names for import, refusing a folder or one over `maxBytes` by its size before
 * reading it: one line each, and a missing file is "not found" (exit 4).
 */
export function readInputFile(file: string, maxBytes: number, what: string): Buffer {
  try {
    const st = statSync(file);
    if (st.isDirectory()) throw new UsageError(`${file} is a folder, not ${what}`, { hint: `name the ${what} file itself` });
    if (st.isFile() && st.size > maxBytes) {
      throw new UsageError(`${file} is ${(st.size / 1024 / 1024).toFixed(1)} MiB; ${what} files are read up to ${(maxBytes / 1024 / 1024).toFixed(0)} MiB`, {
        hint: `check that it is ${what} file`,
      });
    }
    const buf = readFileSync(file);
    if (buf.length > maxBytes) throw new UsageError(`${file} is over ${(maxBytes / 1024 / 1024).toFixed(0)} MiB; ${what} files are read up to that`, { hint: `check that it is ${what} file` });
    if (buf.length === 0) throw new UsageError(`${file} is empty`, { hint: `check that it is ${what} file and that the download finished` });
    return buf;
  } catch (err) {
    if (err instanceof UsageError) throw err;
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT' || e.code === 'ENOTDIR') throw new NotFoundError(`no such file: ${file}`, { hint: 'check the path' });
    if (e.code === 'EACCES' || e.code === 'EPERM') throw new UsageError(`cannot read ${file}: permission denied`, { hint: "check the file's permissions" });
    throw new UsageError(`cannot read ${file}: ${e.code ?? e.message}`);
  }
}

/** Whether a JSON.parse error happened at the very end of the text: the file was cut short, not mistyped. */
export function jsonCutShort(err: unknown, text: string): boolean {
  const msg = (err as Error).message;
  if (/end of (JSON )?input|Unterminated string/i.test(msg)) return true;
  const at = /at position (\d+)/.exec(msg);
  return at !== null && Number(at[1]) >= text.trimEnd().length;
}
