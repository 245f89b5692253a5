import { readFileSync } from 'node:fs';
import { encodeImage, fitCells, KITTY_DELETE_ALL, placeAt, type ImageProtocol } from './image-protocol.js';
import type { OverlayImage } from './state.js';

/** Where the app sends image escapes: the terminal's stdout, and the protocol it speaks (null: paths only). */
export interface InlineImages {
  protocol: ImageProtocol | null;
  write(data: string): void;
}

const MAX_INLINE_BYTES = 8 * 1024 * 1024;
let cached: { path: string; bytes: Buffer | null } | null = null;

/** Bytes both protocols take as they are: a PNG small enough to send; else null. */
function sendable(b: Buffer): Buffer | null {
  return b.length <= MAX_INLINE_BYTES && b.length >= 4 && b.readUInt32BE(0) === 0x89504e47 ? b : null;
}

/** The file's bytes when it is a PNG small enough to send (both protocols take PNG as it is); else null. */
function pngBytes(path: string): Buffer | null {
  if (cached?.path === path) return cached.bytes;
  let bytes: Buffer | null = null;
  try {
    const b = readFileSync(path);
    if (b.length <= MAX_INLINE_BYTES && b.readUInt32BE(0) === 0x89504e47) bytes = b;
  } catch {
    bytes = null; // gone since it was listed: the panel still names the path
  }
  cached = { path, bytes };
  return bytes;
}

/**
 * The escapes that draw `img` in the box whose top-left cell is (row, col), 1-based, or '' when there is
 * nothing to draw. kitty's previous pictures are deleted first, so redrawing after each frame never stacks.
 */
export function drawImage(protocol: ImageProtocol, img: OverlayImage, box: { row: number; col: number; cols: number; rows: number }): string {
  if (img.mime !== 'image/png' || box.rows < 2 || box.cols < 4) return '';
  const png = img.bytes ? sendable(img.bytes) : pngBytes(img.path);
  if (!png) return '';
  const cells = fitCells(img.width, img.height, box.cols, box.rows);
  return (protocol === 'kitty' ? KITTY_DELETE_ALL : '') + placeAt(box.row, box.col, encodeImage(protocol, png, cells));
}

/** What closing the panel sends: kitty's pictures float above the text and must be deleted; iTerm2's are overwritten. */
export function clearImages(protocol: ImageProtocol): string {
  return protocol === 'kitty' ? KITTY_DELETE_ALL : '';
}
