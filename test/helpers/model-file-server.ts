/**
 * A loopback static file server for model downloads (default folder ../shared/models beside the repo) with HTTP Range
 * support (206 + Content-Range, 416 past the end) and a switch that cuts the connection mid-file once, to
 * exercise resumable downloads. Also serves HuggingFace-style paths: /OWNER/REPO/resolve/main/FILE → FILE.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { listenOnLoopback } from './listen.js';
import path from 'node:path';
import { SHARED_MODELS } from './shared.js';

export interface FileRequest {
  path: string;
  range: string | undefined;
  status: number;
}

export interface ModelFileServer {
  /** `http://127.0.0.1:PORT` (no trailing slash); files live at `${baseUrl}/<name>`. */
  baseUrl: string;
  requests: FileRequest[];
  /** The next GET that would send more than `afterBytes` bytes sends only that many, then drops the socket. */
  cutNextAt(afterBytes: number): void;
  /** Replaces the bytes served for one file name (e.g. to force a checksum mismatch). */
  override(name: string, data: Buffer): void;
  close(): Promise<void>;
}

export const SHARED_MODELS_DIR = SHARED_MODELS;

export async function startModelFileServer(opts: { dir?: string } = {}): Promise<ModelFileServer> {
  const dir = opts.dir ?? SHARED_MODELS_DIR;
  const requests: FileRequest[] = [];
  const overrides = new Map<string, Buffer>();
  let cutAt: number | null = null;
  const server: Server = createServer((req, res) => {
    const urlPath = decodeURIComponent((req.url ?? '/').split('?')[0] ?? '/');
    const name = path.basename(urlPath.replace(/^\/[^/]+\/[^/]+\/resolve\/[^/]+\//, '/'));
    const file = path.join(dir, name);
    const data = overrides.get(name);
    const record = (status: number) => requests.push({ path: urlPath, range: req.headers.range, status });
    if (!data && (!name || !existsSync(file) || !statSync(file).isFile())) {
      record(404);
      res.writeHead(404, { 'content-type': 'text/plain' });
      return void res.end('Entry not found');
    }
    const size = data ? data.length : statSync(file).size;
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(Number(range[2]), size - 1);
      if (start >= size) {
        record(416);
        res.writeHead(416, { 'content-range': `bytes */${size}` });
        return void res.end();
      }
      status = 206;
    }
    record(status);
    const length = end - start + 1;
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'content-length': String(length), 'accept-ranges': 'bytes' };
    if (status === 206) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') return void res.end();
    const cut = cutAt !== null && cutAt < length ? cutAt : null;
    if (cut !== null) cutAt = null;
    const stop = cut === null ? end : start + cut - 1;
    if (data) {
      res.write(data.subarray(start, stop + 1));
      if (cut === null) res.end();
      else setTimeout(() => res.socket?.destroy(), 30);
      return;
    }
    const stream = createReadStream(file, { start, end: stop });
    if (cut === null) stream.pipe(res);
    else {
      stream.on('data', (c) => res.write(c));
      stream.on('end', () => setTimeout(() => res.socket?.destroy(), 30));
    }
  });
  const listening = await listenOnLoopback(server);
  const port = listening.port;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    cutNextAt: (n) => { cutAt = n; },
    override: (n, d) => { overrides.set(n, d); },
    close: listening.close,
  };
}
