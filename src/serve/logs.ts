import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';

/** Appends engine output to `<dir>/<shard>.log`, rotating to .1 … .N when it grows past maxBytes. */
export class RotatingLog {
  private fd: number;
  private size: number;
  constructor(readonly file: string, private readonly maxBytes: number, private readonly keep: number) {
    mkdirSync(path.dirname(file), { recursive: true });
    this.fd = openSync(file, 'a');
    this.size = fstatSync(this.fd).size;
  }

  write(chunk: string | Buffer): void {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    if (this.size + buf.length > this.maxBytes && this.size > 0) this.rotate();
    writeSync(this.fd, buf);
    this.size += buf.length;
  }

  line(text: string): void {
    this.write(`${new Date().toISOString()} [luna] ${text}\n`);
  }

  private rotate(): void {
    closeSync(this.fd);
    if (this.keep === 0) rmSync(this.file, { force: true });
    else {
      rmSync(`${this.file}.${this.keep}`, { force: true });
      for (let i = this.keep - 1; i >= 1; i--) if (existsSync(`${this.file}.${i}`)) renameSync(`${this.file}.${i}`, `${this.file}.${i + 1}`);
      renameSync(this.file, `${this.file}.1`);
    }
    this.fd = openSync(this.file, 'a');
    this.size = 0;
  }

  close(): void {
    try {
      closeSync(this.fd);
    } catch {
      // closing twice during shutdown is harmless
    }
  }
}

export function shardLogFile(logDir: string, shard: string): string {
  return path.join(logDir, `${shard}.log`);
}

/** The last `lines` lines of a file (reads only the tail, logs can be large). */
export function tailFile(file: string, lines: number): { text: string; size: number } {
  const size = statSync(file).size;
  const want = Math.min(size, Math.max(4096, lines * 400));
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(want);
    readSync(fd, buf, 0, want, size - want);
    const all = buf.toString('utf8').split('\n');
    if (all.at(-1) === '') all.pop();
    return { text: all.slice(-lines).map((l) => `${l}\n`).join(''), size };
  } finally {
    closeSync(fd);
  }
}

/** Reads bytes appended since `from`; restarts at 0 when the file was rotated (shrank). */
export function readFrom(file: string, from: number): { text: string; size: number } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return { text: '', size: 0 };
  }
  const start = size < from ? 0 : from;
  if (size === start) return { text: '', size };
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - start);
    readSync(fd, buf, 0, buf.length, start);
    return { text: buf.toString('utf8'), size };
  } finally {
    closeSync(fd);
  }
}
