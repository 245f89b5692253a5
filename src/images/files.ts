import { renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LunaError, UsageError } from '../errors.js';
import { ensureDir } from '../util/ensure-dir.js';
import { writeError } from '../util/safe-write.js';
import type { TurnImage } from '../store/types.js';
import { imageInfo } from './image-info.js';

export type StoredImage = Pick<TurnImage, 'n' | 'path' | 'mime' | 'width' | 'height' | 'bytes'>;

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Writes a turn's images as <dir>/<story>/<turn>-<n>.<ext> (n from 1), each to a temporary name first so a
 * reader never sees half a file; a re-run of the job replaces them.
 */
export function writeTurnImages(dir: string, storyId: string, turnId: string, images: { bytes: Buffer; filename: string }[]): StoredImage[] {
  // Ids become path segments: anything but an id's own characters could climb out of the images folder.
  if (!SAFE_ID.test(storyId) || !SAFE_ID.test(turnId)) throw new UsageError(`cannot store an image for story "${storyId}" turn "${turnId}": not plain ids`);
  const folder = path.join(dir, storyId);
  ensureDir(folder, { what: 'the images folder', hint: 'set agents.dreamer.comfyui.imagesDir to a writable folder' });
  return images.map((img, i) => {
    const info = imageInfo(img.bytes, img.filename);
    const file = path.join(folder, `${turnId}-${i + 1}.${info.ext}`);
    const tmp = `${file}.${process.pid}.tmp`;
    try {
      writeFileSync(tmp, img.bytes, { mode: 0o644 });
      renameSync(tmp, file);
    } catch (err) {
      rmSync(tmp, { force: true });
      if (err instanceof LunaError) throw err;
      throw writeError(err, 'image', file);
    }
    return { n: i + 1, path: file, mime: info.mime, width: info.width, height: info.height, bytes: img.bytes.length };
  });
}
