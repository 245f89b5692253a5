import { existsSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import type { Store, TurnImage } from '../store/types.js';

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
 * An image whose file is gone is left out, with a warning, rather than leaving a broken link.
 */
export async function markdownImages(
  store: Pick<Store, 'listTurnImages'>, storyId: string, ids: { main: string[]; branches: string[][] }, opts: { mode: 'link' | 'inline' | 'api'; outFile: string | null },
): Promise<{ main: string[][]; branches: string[][][]; warnings: string[] }> {
  const byTurn = imagesByTurn(await store.listTurnImages(storyId));
  const warnings: string[] = [];
  const dests = (turnId: string): string[] => (byTurn.get(turnId) ?? []).flatMap((img) => {
    if (!existsSync(img.path)) {
      warnings.push(`image ${img.path} (turn ${turnId}) is missing; left out of the export`);
      return [];
    }
    if (opts.mode === 'api') return [`</v1/stories/${storyId}/images/${img.id}>`];
    if (opts.mode === 'inline') return [`data:${img.mime};base64,${readFileSync(img.path).toString('base64')}`];
    return [markdownImageLink(img.path, opts.outFile)];
  });
  return { main: ids.main.map(dests), branches: ids.branches.map((b) => b.map(dests)), warnings };
}

/**
 * Deleting a story removes its rows; this removes the picture files they pointed at, and the story's folder
 * when that leaves it empty. Only files the story's own rows named are touched, read before the delete.
 * Best effort: a file already gone or on a read-only share is not an error (the story is deleted either way).
 */
export function removeImageFiles(paths: string[]): number {
  let removed = 0;
  const dirs = new Set<string>();
  for (const p of paths) {
    try {
      rmSync(p);
      removed++;
      dirs.add(path.dirname(p));
    } catch {
      // gone already, or not ours to remove
    }
  }
  for (const d of dirs) {
    try {
      rmdirSync(d); // only succeeds when empty
    } catch {
      // other files are still there
    }
  }
  return removed;
}
