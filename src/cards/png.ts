import { deflateSync } from 'node:zlib';
import { UsageError } from '../errors.js';
import { crc32 } from './crc32.js';

const DAMAGED = 'get the card again from where you found it; the file is not what a card tool writes';

/**
 * Just enough PNG (ISO/IEC 15948) for character cards: walk the chunks checking each CRC, read and replace
 * tEXt chunks (keyword, NUL, Latin-1 text), and make a plain image for a card that has none. The pixels are
 * never decoded: a card's image is carried through byte for byte.
 */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface PngChunk {
  type: string;
  data: Buffer;
}

export function isPng(buf: Buffer): boolean {
  return buf.length >= 8 && buf.subarray(0, 8).equals(PNG_SIGNATURE);
}

export function readPngChunks(buf: Buffer, file: string): PngChunk[] {
  if (!isPng(buf)) throw new UsageError(`${file} is not a PNG file (its first bytes are not the PNG signature)`, { hint: DAMAGED });
  const chunks: PngChunk[] = [];
  let at = 8;
  while (at < buf.length) {
    if (at + 12 > buf.length) throw cut(file, at);
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    if (!/^[A-Za-z]{4}$/.test(type)) throw new UsageError(`${file} is damaged: no PNG chunk at byte ${at}`, { hint: 'get the card again from where you found it' });
    if (len > 0x7fffffff || at + 12 + len > buf.length) throw cut(file, at, type);
    const data = buf.subarray(at + 8, at + 8 + len);
    const want = buf.readUInt32BE(at + 8 + len);
    if (crc32(buf.subarray(at + 4, at + 8), data) !== want) {
      throw new UsageError(`${file} is damaged: the checksum of its ${type} chunk at byte ${at} does not match`, { hint: 'get the card again from where you found it' });
    }
    chunks.push({ type, data });
    at += 12 + len;
    if (type === 'IEND') break;
  }
  if (chunks[0]?.type !== 'IHDR') throw new UsageError(`${file} is damaged: a PNG must start with its IHDR chunk`, { hint: DAMAGED });
  if (chunks.at(-1)?.type !== 'IEND') throw cut(file, buf.length);
  return chunks;
}

function cut(file: string, at: number, type?: string): UsageError {
  return new UsageError(`${file} is cut short: it ends at byte ${at}${type ? ` inside its ${type} chunk` : ''} before the PNG's end`, {
    hint: 'the download or copy was incomplete; get the card again',
  });
}

/** tEXt chunks as keyword → text (the first of each keyword wins, as readers do). */
export function textChunks(chunks: PngChunk[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const c of chunks) {
    if (c.type !== 'tEXt') continue;
    const nul = c.data.indexOf(0);
    if (nul < 1) continue;
    const key = c.data.toString('latin1', 0, nul);
    if (!out.has(key)) out.set(key, c.data.toString('latin1', nul + 1));
  }
  return out;
}

export function encodeChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(head.subarray(4, 8), data), 0);
  return Buffer.concat([head, data, crc]);
}

export function textChunk(keyword: string, text: string): PngChunk {
  return { type: 'tEXt', data: Buffer.concat([Buffer.from(keyword, 'latin1'), Buffer.from([0]), Buffer.from(text, 'latin1')]) };
}

/** The PNG with its tEXt chunks of these keywords replaced by the given ones, placed right before IEND. */
export function withTextChunks(chunks: PngChunk[], text: Record<string, string>): Buffer {
  const keep = chunks.filter((c) => {
    if (c.type !== 'tEXt') return c.type !== 'IEND';
    const nul = c.data.indexOf(0);
    return !(c.data.toString('latin1', 0, nul) in text);
  });
  const added = Object.entries(text).map(([k, v]) => textChunk(k, v));
  return Buffer.concat([PNG_SIGNATURE, ...[...keep, ...added, { type: 'IEND', data: Buffer.alloc(0) }].map((c) => encodeChunk(c.type, c.data))]);
}

/** A plain 400×600 RGB image in one colour, for a card exported from a story without a picture. */
export function plainPng(width = 400, height = 600, rgb: [number, number, number] = [0x1d, 0x23, 0x3a]): PngChunk[] {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit, truecolour, deflate, adaptive filtering, no interlace
  const row = Buffer.alloc(1 + width * 3);
  for (let x = 0; x < width; x++) row.set(rgb, 1 + x * 3);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return [{ type: 'IHDR', data: ihdr }, { type: 'IDAT', data: deflateSync(raw) }, { type: 'IEND', data: Buffer.alloc(0) }];
}
