import { accessSync, constants, existsSync, lstatSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { resolveLinks, statOrNull } from './safe-write.js';

export interface WritableFileOptions {
  /** What is being written, for the message: "export", "backup". */
  what: string;
  /** A file name to suggest inside a folder given by mistake. */
  suggestName: string;
  /** Replace an existing file (exports) or refuse it (backups never overwrite). */
  overwrite: boolean;
}

/**
 * Checked before writing: fs errors (ENOENT on a temp file, EISDIR on rename) neither name the folder the
 * user typed nor say what to do, and the entry point reports them as bugs. Returns the absolute path.
 */
export function checkWritableFile(file: string, opts: WritableFileOptions): string {
  const out = path.resolve(file);
  // Through symlinks: writers update a link's target (see writeUserFile), so that is what must be writable.
  const target = resolveLinks(out);
  const st = statOrNull(target);
  if (st?.isDirectory()) {
    throw new UsageError(`${opts.what} target ${out} is a folder`, { hint: `name a file inside it, e.g. ${path.join(out, opts.suggestName)}` });
  }
  if (!opts.overwrite && (st || lexists(out))) throw new UsageError(`${out} already exists`, { hint: `choose another file name; ${opts.what}s never overwrite` });
  if (st && (!st.isFile() || st.nlink > 1)) {
    // A FIFO, a device or a hard-linked file is written in place: the file, not its folder, must be writable.
    try {
      accessSync(target, constants.W_OK);
    } catch {
      throw new UsageError(`cannot write ${opts.what} ${out}: it is not writable`, { hint: 'pick a file you can write to' });
    }
    return out;
  }
  const dir = path.dirname(target);
  if (!existsSync(dir)) {
    throw new UsageError(`cannot write ${opts.what} ${out}: folder ${dir} does not exist`, { hint: `create it first (mkdir -p ${dir}) or pick another path` });
  }
  if (!statSync(dir).isDirectory()) {
    throw new UsageError(`cannot write ${opts.what} ${out}: ${dir} is not a folder`, { hint: 'pick a path inside an existing folder' });
  }
  try {
    // The folder, not just the file: writers create temp files beside the target and rename them into place.
    accessSync(dir, constants.W_OK);
  } catch {
    throw new UsageError(`cannot write ${opts.what} ${out}: folder ${dir} is not writable`, { hint: 'pick a folder you can write to' });
  }
  return out;
}

/** True when anything, even a dangling symlink, has this name. */
function lexists(p: string): boolean {
  try {
    lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
