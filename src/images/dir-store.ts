import { existsSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ImageStoreError, LunaError, UsageError } from '../errors.js';
import { ensureDir } from '../util/ensure-dir.js';
import { describeFsError } from '../util/fs-errors.js';
import { writeError } from '../util/safe-write.js';
import type { ImageBlobStore } from './store.js';

/**
 * Pictures as files under one folder: <dir>/<story>/<turn>-<n>.<ext>, each written to a temporary name and
 * renamed, so no reader (the API, an NFS client) ever sees half a file.
 */
export function createDirStore(dir: string): ImageBlobStore {
  return {
    describe: () => dir,
    async put(key, bytes) {
      const file = path.join(dir, key);
      // Keys are built from checked ids; this keeps any other key from climbing out of the folder.
      if (path.relative(dir, file).startsWith('..')) throw new UsageError(`cannot store an image as "${key}": outside the images folder`);
      ensureDir(path.dirname(file), { what: 'the images folder', hint: 'set agents.dreamer.comfyui.imagesDir to a writable folder' });
      const tmp = `${file}.${process.pid}.tmp`;
      try {
        writeFileSync(tmp, bytes, { mode: 0o644 });
        renameSync(tmp, file);
      } catch (err) {
        rmSync(tmp, { force: true });
        if (err instanceof LunaError) throw err;
        throw writeError(err, 'image', file);
      }
      return file;
    },
    async get(location) {
      try {
        return readFileSync(location);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return null;
        const d = describeFsError(err, location);
        throw new ImageStoreError(`cannot read image ${location}: ${d.reason}`, { hint: d.hint });
      }
    },
    exists: async (location) => existsSync(location),
    async remove(paths) {
      let removed = 0;
      const left: string[] = [];
      const dirs = new Set<string>();
      for (const p of paths) {
        try {
          rmSync(p);
          removed++;
          dirs.add(path.dirname(p));
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') left.push(p); // gone already is fine
        }
      }
      for (const d of dirs) {
        try {
          rmdirSync(d); // only succeeds when empty
        } catch {
          // other files are still there
        }
      }
      return { removed, left };
    },
  };
}
