import { UsageError } from '../errors.js';
import { isS3Location } from '../images/s3-location.js';
import type { ImageBlobStore } from '../images/store.js';
import type { Store, Story, TurnImage } from '../store/types.js';
import { terminalLine } from '../util/terminal-text.js';
import type { Overlay } from './state.js';

/**
 * `/image` in play: the newest image on the current branch, or turn N's with `/image N`. The panel always
 * names the file; where the terminal speaks an image protocol the app draws the picture under the text
 * (src/tui/image-protocol.ts).
 */
export async function imagePanel(store: Store, story: Story, args: string[], files?: ImageBlobStore): Promise<Omit<Overlay, 'scroll'>> {
  const branch = await store.getBranchIds(story.id, story.headTurnId);
  const images = await store.listTurnImages(story.id, { turnIds: branch });
  if (!images.length) {
    return { title: 'image', lines: ['no images on this branch yet.', '', 'They come from the Dreamer\'s ComfyUI step: set agents.dreamer.comfyui in luna.yaml (docs/images.md).'] };
  }
  let pick: TurnImage[];
  if (args.length) {
    const depth = Number(args[0]);
    const last = images.at(-1)!.depth;
    if (args.length !== 1 || !Number.isInteger(depth) || depth < 1) throw new UsageError(`/image takes a turn number (got "${args.join(' ')}")`, { hint: `e.g. /image ${last}` });
    pick = images.filter((i) => i.depth === depth);
    if (!pick.length) throw new UsageError(`turn ${depth} has no image`, { hint: `turns with images: ${[...new Set(images.map((i) => i.depth))].slice(-10).join(', ')}` });
  } else {
    const last = images.at(-1)!.depth;
    pick = images.filter((i) => i.depth === last);
  }
  const img = pick[0]!;
  const lines = [
    `turn ${img.depth}${pick.length > 1 ? ` · image 1 of ${pick.length}` : ''} · ${img.width && img.height ? `${img.width}x${img.height} · ` : ''}${Math.max(1, Math.round(img.bytes / 1024))} KiB`,
    terminalLine(img.path),
    `prompt: ${terminalLine(img.prompt.replace(/\s+/g, ' ').slice(0, 200))}`,
  ];
  // A picture in a bucket is fetched now, off the render path; the panel names it even when the fetch fails.
  const bytes = files && isS3Location(img.path) && img.mime === 'image/png' ? await files.get(img.path).catch(() => null) : null;
  return { title: `image · turn ${img.depth}`, lines, image: { path: img.path, mime: img.mime, width: img.width, height: img.height, ...(bytes ? { bytes } : {}) } };
}
