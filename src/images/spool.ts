import { randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Pictures ComfyUI rendered that the image store refused (bucket down, access denied, folder read-only): the
 * GPU time is paid, so the bytes wait here and the job's retry stores them instead of rendering again.
 *
 * Layout: <home>/spool/images/<story>/<turn>/{manifest.json, 1.png, …}. A turn's spool is one folder, written
 * under a temporary name and renamed into place, so a reader sees a whole spool or none (the manifest is
 * written last inside it). It sits in the LUNA home, beside neither the images folder nor the bucket: either
 * of those may be the store that is failing. `key` fingerprints what was sent to ComfyUI (the workflow with the
 * prompt filled in): a re-run for another prompt or workflow never takes an older picture.
 *
 * Everything here is best effort: a spool that cannot be written or read costs a second render, as before,
 * never the job.
 */

export interface SpooledImage {
  bytes: Buffer;
  filename: string;
}

interface Manifest {
  v: 1;
  key: string;
  transport: 'websocket' | 'poll';
  gpuMs: number;
  createdAt: string;
  files: { file: string; filename: string; bytes: number }[];
}

export interface Spooled {
  images: SpooledImage[];
  transport: 'websocket' | 'poll';
  gpuMs: number;
}

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;
const SAFE_EXT = /^[a-z0-9]{1,8}$/;

export function spoolRoot(home: string): string {
  return path.join(home, 'spool', 'images');
}

export interface ImageSpool {
  /** Keeps a run's images for the turn; false when they could not be kept (the retry renders again). */
  keep(meta: { storyId: string; turnId: string }, key: string, run: Spooled): boolean;
  /** The turn's kept images when they were rendered for `key`; a spool for another key is dropped. */
  take(meta: { storyId: string; turnId: string }, key: string): Spooled | null;
  /** Drops the turn's spool (all of it, or only when it holds `key`). */
  discard(meta: { storyId: string; turnId: string }, key?: string): void;
}

export function createImageSpool(home: string): ImageSpool {
  const root = spoolRoot(home);
  const dirOf = (m: { storyId: string; turnId: string }) => (SAFE_ID.test(m.storyId) && SAFE_ID.test(m.turnId) ? path.join(root, m.storyId, m.turnId) : null);
  const read = (dir: string): Manifest | null => {
    try {
      const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
      return m && m.v === 1 && typeof m.key === 'string' && Array.isArray(m.files) ? m : null;
    } catch {
      return null;
    }
  };
  const drop = (dir: string) => {
    try {
      rmSync(dir, { recursive: true, force: true });
      removeIfEmpty(path.dirname(dir));
    } catch {
      // left for the story's deletion to sweep
    }
  };
  return {
    keep(meta, key, run) {
      const dir = dirOf(meta);
      if (!dir || !run.images.length) return false;
      const tmp = `${dir}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
      try {
        mkdirSync(tmp, { recursive: true, mode: 0o700 });
        const files = run.images.map((img, i) => {
          const ext = path.extname(img.filename).slice(1).toLowerCase();
          const file = `${i + 1}${SAFE_EXT.test(ext) ? `.${ext}` : ''}`;
          writeFileSync(path.join(tmp, file), img.bytes, { mode: 0o600 });
          return { file, filename: img.filename, bytes: img.bytes.length };
        });
        const manifest: Manifest = { v: 1, key, transport: run.transport, gpuMs: run.gpuMs, createdAt: new Date().toISOString(), files };
        writeFileSync(path.join(tmp, 'manifest.json'), JSON.stringify(manifest), { mode: 0o600 });
        // A folder cannot be renamed over a non-empty one: an older spool for the turn goes first.
        rmSync(dir, { recursive: true, force: true });
        renameSync(tmp, dir);
        return true;
      } catch {
        // Another worker placed its spool for this turn at the same moment, or the home is not writable.
        rmSync(tmp, { recursive: true, force: true });
        return read(dir)?.key === key;
      }
    },
    take(meta, key) {
      const dir = dirOf(meta);
      if (!dir) return null;
      const m = read(dir);
      if (!m) return null;
      if (m.key !== key) {
        drop(dir);
        return null;
      }
      try {
        const images = m.files.map((f) => {
          const bytes = readFileSync(path.join(dir, path.basename(f.file)));
          if (bytes.length !== f.bytes) throw new Error('truncated');
          return { bytes, filename: f.filename };
        });
        return { images, transport: m.transport, gpuMs: m.gpuMs };
      } catch {
        // A damaged spool is worth nothing: render again.
        drop(dir);
        return null;
      }
    },
    discard(meta, key) {
      const dir = dirOf(meta);
      if (!dir) return;
      if (key !== undefined && read(dir)?.key !== key) return;
      drop(dir);
    },
  };
}

/** Drops every spooled picture of a deleted story; returns how many turns had one. */
export function discardStorySpool(home: string, storyId: string): number {
  if (!SAFE_ID.test(storyId)) return 0;
  const dir = path.join(spoolRoot(home), storyId);
  let turns: string[];
  try {
    turns = readdirSync(dir).filter((d) => !d.endsWith('.tmp'));
  } catch {
    return 0; // nothing was spooled
  }
  try {
    rmSync(dir, { recursive: true, force: true });
  } catch {
    return 0;
  }
  return turns.length;
}

function removeIfEmpty(dir: string): void {
  try {
    rmdirSync(dir);
  } catch {
    // other turns' spools are still there
  }
}
