import { existsSync } from 'node:fs';
import path from 'node:path';
import { isS3Location } from '../images/s3-location.js';
import { discardStorySpool } from '../images/spool.js';
import type { ImageBlobStore } from '../images/store.js';
import type { Store, TurnImage } from '../store/types.js';
import { ensureDir } from '../util/ensure-dir.js';
import { writeUserFile } from '../util/safe-write.js';

export async function listStoryImages(store: Pick<Store, 'listTurnImages'>, storyId: string, turnIds?: string[]): Promise<TurnImage[]> {
  return store.listTurnImages(storyId, turnIds ? { turnIds } : undefined);
}

/** Images by turn id. */
export function imagesByTurn<T extends { turnId: string }>(images: T[]): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const i of images) out.set(i.turnId, [...(out.get(i.turnId) ?? []), i]);
  return out;
}

/**
 * How a Markdown export points at an image: a link relative to the file being written (so the document
 * and the images folder can move together), or the absolute path when the Markdown goes to stdout.
 * A path is written as a CommonMark link destination in <…>, so spaces and parentheses survive.
 */
export function markdownImageLink(imagePath: string, outFile: string | null): string {
  const target = outFile ? path.relative(path.dirname(path.resolve(outFile)), imagePath) : imagePath;
  const posix = target.split(path.sep).join('/');
  return `<${posix.replace(/[<>\n\r]/g, (c) => encodeURIComponent(c))}>`;
}

/**
 * The image links a Markdown export puts under each turn. `link`: a path relative to the output file (absolute
 * when printing to stdout); `inline`: a data: URI, so the document stands alone (it grows by 4/3 of each image).
 * `api`: the image's URL on the HTTP API (GET /v1/stories/:id/export?format=markdown), no server paths.
 * An image that is gone is left out, with a warning, rather than leaving a broken link. A picture kept in an S3
 * bucket has no path to link: with an output file it is downloaded into `<file>.images/` beside it (the
 * document and its folder move together, as with local pictures); printed to stdout it is linked by its s3:// URI.
 */
export async function markdownImages(
  store: Pick<Store, 'listTurnImages'>, files: ImageBlobStore, storyId: string, ids: { main: string[]; branches: string[][] }, opts: { mode: 'link' | 'inline' | 'api'; outFile: string | null },
): Promise<{ main: string[][]; branches: string[][][]; warnings: string[] }> {
  const byTurn = imagesByTurn(await store.listTurnImages(storyId));
  const warnings: string[] = [];
  const missing = (img: TurnImage): null => {
    warnings.push(`image ${img.path} (turn ${img.turnId}) is missing; left out of the export`);
    return null;
  };
  const dest = async (img: TurnImage): Promise<string | null> => {
    if (opts.mode === 'api') {
      if (!(await files.exists(img.path).catch(() => true))) return missing(img);
      return `</v1/stories/${storyId}/images/${img.id}>`;
    }
    const remote = isS3Location(img.path);
    if (opts.mode === 'link' && !(remote && opts.outFile)) {
      if (!remote && !existsSync(img.path)) return missing(img);
      return remote ? `<${img.path}>` : markdownImageLink(img.path, opts.outFile);
    }
    const bytes = await files.get(img.path);
    if (!bytes) return missing(img);
    if (opts.mode === 'inline') return `data:${img.mime};base64,${bytes.toString('base64')}`;
    const copy = path.join(`${path.resolve(opts.outFile!)}.images`, path.posix.basename(img.path));
    ensureDir(path.dirname(copy), { what: 'the export\'s images folder' });
    writeUserFile(copy, bytes, { what: 'exported image' });
    return markdownImageLink(copy, opts.outFile);
  };
  const dests = async (turnId: string): Promise<string[]> => {
    const out: string[] = [];
    for (const img of byTurn.get(turnId) ?? []) {
      const d = await dest(img);
      if (d) out.push(d);
    }
    return out;
  };
  const each = async (turnIds: string[]) => {
    const out: string[][] = [];
    for (const id of turnIds) out.push(await dests(id));
    return out;
  };
  const branches: string[][][] = [];
  for (const b of ids.branches) branches.push(await each(b));
  return { main: await each(ids.main), branches, warnings };
}

/**
 * Deleting a story removes its rows; this removes the pictures they pointed at (files, and the story's folder
 * when that leaves it empty; or objects in the bucket). Only what the story's own rows named is touched, read
 * before the delete, and the story's spool of pictures waiting for a retry. Best effort: a picture already gone
 * or on a read-only share is not an error.
 */
export async function removeImages(files: ImageBlobStore, locations: string[], spool?: { home: string; storyId: string }): Promise<{ removed: number; left: string[] }> {
  // Pictures rendered but never stored (the store refused them) wait in the home's spool for a retry that will not come now.
  if (spool) discardStorySpool(spool.home, spool.storyId);
  return files.remove(locations);
}
