import { readFileSync } from 'node:fs';
import { encodeImage, fitCells, KITTY_DELETE_ALL, placeAt, type ImageProtocol } from './image-protocol.js';
import type { ImageFrames } from './image-frames.js';
import type { OverlayImage } from './state.js';

/** Where the app sends image escapes: the terminal's stdout, and the protocol it speaks (null: paths only). */
export interface InlineImages {
  protocol: ImageProtocol | null;
  write(data: string): void;
  /** Ink's frames, when they can carry the picture (src/tui/image-frames.ts). */
  frames?: Pick<ImageFrames, 'set' | 'synced'>;
}

const MAX_INLINE_BYTES = 8 * 1024 * 1024;
let cached: { path: string; bytes: Buffer | null } | null = null;

/** Bytes every protocol can take: a PNG small enough to send (kitty and iTerm2 take it as it is, sixel decodes it); else null. */
function sendable(b: Buffer): Buffer | null {
  return b.length <= MAX_INLINE_BYTES && b.length >= 4 && b.readUInt32BE(0) === 0x89504e47 ? b : null;
}

/** The file's bytes when sendable; else null. */
function pngBytes(path: string): Buffer | null {
  if (cached?.path === path) return cached.bytes;
  let bytes: Buffer | null = null;
  try {
    bytes = sendable(readFileSync(path));
  } catch {
    bytes = null; // gone since it was listed: the panel still names the path
  }
  cached = { path, bytes };
  return bytes;
}

// The picture is redrawn after every frame: keep its last escape, since a sixel one costs a decode and a quantisation.
let encoded: { key: string; escape: string | null } | null = null;

/**
 * The escapes that draw `img` in the box whose top-left cell is (row, col), 1-based, or '' when there is
 * nothing to draw (not a PNG, or one the sixel encoder cannot decode: the panel's path is all there is then).
 * kitty's previous pictures are deleted first, so redrawing after each frame never stacks.
 */
export function drawImage(protocol: ImageProtocol, img: OverlayImage, box: { row: number; col: number; cols: number; rows: number }): string {
  if (img.mime !== 'image/png' || box.rows < 2 || box.cols < 4) return '';
  const png = img.bytes ? sendable(img.bytes) : pngBytes(img.path);
  if (!png) return '';
  const cells = fitCells(img.width, img.height, box.cols, box.rows);
  const key = `${protocol}\0${img.path}\0${png.length}\0${cells.cols}x${cells.rows}`;
  if (encoded?.key !== key) encoded = { key, escape: encodeImage(protocol, png, cells) };
  if (!encoded.escape) return '';
  return (protocol === 'kitty' ? KITTY_DELETE_ALL : '') + placeAt(box.row, box.col, encoded.escape);
}

/** What closing the panel sends: kitty's pictures float above the text and must be deleted; iTerm2's and sixel's are overwritten. */
export function clearImages(protocol: ImageProtocol): string {
  return protocol === 'kitty' ? KITTY_DELETE_ALL : '';
}
