import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { UsageError } from '../errors.js';
import { crc32 } from './crc32.js';

const DAMAGED = 'get the card again from where you found it; the file is not what a card tool writes';

/**
 * Just enough ZIP (APPNOTE 6.3) for CHARX card files: read the central directory, extract stored or
 * deflated entries checking size and CRC, and write a plain archive. No ZIP64, no encryption: a CHARX
 * needing them is refused with one line.
 */
export interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  offset: number;
}

const EOCD = 0x06054b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
/** Refuses zip bombs: an entry may not inflate past this. */
const MAX_ENTRY = 64 * 1024 * 1024;

export function isZip(buf: Buffer): boolean {
  return buf.length >= 4 && buf.readUInt32LE(0) === LOCAL;
}

export function listZip(buf: Buffer, file: string): ZipEntry[] {
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new UsageError(`${file} is cut short or not a ZIP/CHARX file: its end-of-archive record is missing`, { hint: 'get the card again; the download may be incomplete' });
  const count = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdOffset === 0xffffffff) throw new UsageError(`${file} is a ZIP64 archive, which LUNA does not read`, { hint: 'repack the CHARX as a plain zip' });
  const entries: ZipEntry[] = [];
  let at = cdOffset;
  for (let i = 0; i < count; i++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== CENTRAL) throw new UsageError(`${file} is damaged: its central directory is broken at entry ${i + 1}`, { hint: DAMAGED });
    const flags = buf.readUInt16LE(at + 8);
    const nameLen = buf.readUInt16LE(at + 28);
    const extraLen = buf.readUInt16LE(at + 30);
    const commentLen = buf.readUInt16LE(at + 32);
    const name = buf.toString(flags & 0x800 ? 'utf8' : 'latin1', at + 46, at + 46 + nameLen);
    if (flags & 1) throw new UsageError(`${file}: entry ${name} is encrypted`, { hint: 'export the card again without a password' });
    entries.push({ name, method: buf.readUInt16LE(at + 10), crc: buf.readUInt32LE(at + 16), compressedSize: buf.readUInt32LE(at + 20), size: buf.readUInt32LE(at + 24), offset: buf.readUInt32LE(at + 42) });
    at += 46 + nameLen + extraLen + commentLen;
  }
  return entries;
}

export function readZipEntry(buf: Buffer, e: ZipEntry, file: string): Buffer {
  if (e.offset + 30 > buf.length || buf.readUInt32LE(e.offset) !== LOCAL) throw new UsageError(`${file} is damaged: entry ${e.name} has no local header`, { hint: DAMAGED });
  const start = e.offset + 30 + buf.readUInt16LE(e.offset + 26) + buf.readUInt16LE(e.offset + 28);
  if (start + e.compressedSize > buf.length) throw new UsageError(`${file} is cut short inside entry ${e.name}`, { hint: 'get the card again; the download may be incomplete' });
  if (e.size > MAX_ENTRY) throw new UsageError(`${file}: entry ${e.name} unpacks to ${(e.size / 1024 / 1024).toFixed(0)} MiB, more than LUNA reads (64 MiB)`, { hint: DAMAGED });
  const raw = buf.subarray(start, start + e.compressedSize);
  let data: Buffer;
  if (e.method === 0) data = Buffer.from(raw);
  else if (e.method === 8) {
    try {
      data = inflateRawSync(raw, { maxOutputLength: MAX_ENTRY });
    } catch (err) {
      throw new UsageError(`${file} is damaged: entry ${e.name} does not inflate (${(err as Error).message})`, { hint: DAMAGED });
    }
  } else throw new UsageError(`${file}: entry ${e.name} uses compression method ${e.method}; LUNA reads stored and deflated entries`, { hint: DAMAGED });
  if (data.length !== e.size || crc32(data) !== e.crc) throw new UsageError(`${file} is damaged: entry ${e.name} fails its size or CRC check`, { hint: 'get the card again' });
  return data;
}

/** A plain ZIP of the given files, deflated (UTF-8 names). */
export function writeZip(files: { name: string; data: Buffer }[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const f of files) {
    const name = Buffer.from(f.name, 'utf8');
    const comp = deflateRawSync(f.data);
    const crc = crc32(f.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(LOCAL, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(f.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(CENTRAL, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x800, 8);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(comp.length, 20);
    central.writeUInt32LE(f.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, comp);
    centrals.push(central, name);
    offset += 30 + name.length + comp.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(EOCD, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
