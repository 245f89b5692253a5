import path from 'node:path';
import type { ImagesStoreConfig } from '../config/schema.js';
import { createDirStore } from './dir-store.js';
import { isS3Location } from './s3-location.js';
import type { S3Store } from './s3-store.js';

/**
 * Where the Dreamer's pictures live: a folder (the default, and a shared NFS path in production) or an
 * S3-compatible bucket. `turn_images.path` keeps the location `put` returned — a file path or an
 * s3://bucket/key URI — and every reader goes through `get`, so a story rendered before a switch to S3
 * stays readable after it.
 */
export interface ImageBlobStore {
  /** Where new pictures go, for messages: a folder, or s3://bucket/prefix (and its endpoint). */
  describe(): string;
  /** Stores one picture under key (`<story>/<turn>-<n>.<ext>`); returns the location to record. */
  put(key: string, bytes: Buffer, mime: string): Promise<string>;
  /** The bytes at a recorded location; null when nothing is there any more. Throws ImageStoreError when the store cannot answer. */
  get(location: string): Promise<Buffer | null>;
  /** Whether a recorded location still holds a picture. */
  exists(location: string): Promise<boolean>;
  /**
   * For a deleted story: removes the pictures its rows named; a location already gone is not an error.
   * Returns the locations it could not remove (the bucket down or refusing), for the caller to name.
   */
  remove(locations: string[]): Promise<{ removed: number; left: string[] }>;
}

/** What the stores read from `agents.dreamer.comfyui`. */
export interface ImageStoreTarget {
  imagesDir?: string;
  imagesStore?: ImagesStoreConfig;
}

/**
 * The store new pictures are written to (imagesStore, else imagesDir, else <home>/images); reads dispatch on the
 * location's own form. The S3 client (and the SDK itself) is loaded only when an s3:// location is touched.
 */
export function openImageStore(target: ImageStoreTarget | undefined, home: string): ImageBlobStore {
  const dir = createDirStore(target?.imagesDir ?? path.join(home, 'images'));
  let s3: Promise<S3Store> | null = null;
  const bucket = () => (s3 ??= import('./s3-store.js').then((m) => m.createS3Store(target?.imagesStore)));
  const writesToS3 = target?.imagesStore !== undefined;
  return {
    describe: () => (writesToS3 ? describeS3(target.imagesStore!) : dir.describe()),
    put: async (key, bytes, mime) => (writesToS3 ? (await bucket()).put(key, bytes, mime) : dir.put(key, bytes, mime)),
    get: async (location) => (isS3Location(location) ? (await bucket()).get(location) : dir.get(location)),
    exists: async (location) => (isS3Location(location) ? (await bucket()).exists(location) : dir.exists(location)),
    async remove(locations) {
      const remote = locations.filter(isS3Location);
      const local = locations.filter((l) => !isS3Location(l));
      const a = await dir.remove(local);
      const b = remote.length ? await (await bucket()).remove(remote).catch(() => ({ removed: 0, left: remote })) : { removed: 0, left: [] };
      return { removed: a.removed + b.removed, left: [...a.left, ...b.left] };
    },
  };
}

/** The store for a loaded config, as the CLI, the API and the TUI read pictures through it. */
export function imageStoreFor(loaded: { config: { agents: { dreamer: { comfyui?: ImageStoreTarget } } }; home: string }): ImageBlobStore {
  return openImageStore(loaded.config.agents.dreamer.comfyui, loaded.home);
}

function describeS3(cfg: ImagesStoreConfig): string {
  return cfg.endpoint ? `${cfg.url} at ${new URL(cfg.endpoint).origin}` : cfg.url;
}
