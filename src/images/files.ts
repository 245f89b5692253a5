import { UsageError } from '../errors.js';
import type { TurnImage } from '../store/types.js';
import { imageInfo } from './image-info.js';
import type { ImageBlobStore } from './store.js';

export type StoredImage = Pick<TurnImage, 'n' | 'path' | 'mime' | 'width' | 'height' | 'bytes'>;

const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Stores a turn's images as <story>/<turn>-<n>.<ext> (n from 1) in the images folder or bucket; a re-run of
 * the job replaces them (same keys). Each row keeps the location the store gave back.
 */
export async function storeTurnImages(store: ImageBlobStore, storyId: string, turnId: string, images: { bytes: Buffer; filename: string }[]): Promise<StoredImage[]> {
  // Ids become path segments and object keys: anything but an id's own characters could climb out of the folder.
  if (!SAFE_ID.test(storyId) || !SAFE_ID.test(turnId)) throw new UsageError(`cannot store an image for story "${storyId}" turn "${turnId}": not plain ids`);
  const out: StoredImage[] = [];
  for (const [i, img] of images.entries()) {
    const info = imageInfo(img.bytes, img.filename);
    const location = await store.put(`${storyId}/${turnId}-${i + 1}.${info.ext}`, img.bytes, info.mime);
    out.push({ n: i + 1, path: location, mime: info.mime, width: info.width, height: info.height, bytes: img.bytes.length });
  }
  return out;
}
