/**
 * Model downloads for `luna models pull`: into a `.part` file, resumed with HTTP Range after a dropped
 * connection, sha256-checked, checked to be GGUF at all, then renamed into place — so the final path never
 * holds a partial or corrupt file, nor a web page that came back with HTTP 200.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, existsSync, mkdirSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LunaConfig } from '../config/schema.js';
import { CancelledError, ExitCode, LunaError, UsageError } from '../errors.js';

export interface PullSource {
  /** What the user asked for, e.g. `demo` or `hf:ggml-org/models/tinyllamas/stories260K.gguf`. */
  spec: string;
  fileName: string;
  /** Tried in order until one yields a file with the right checksum. */
  urls: string[];
  sha256: string | null;
  isDemo: boolean;
}

export interface DownloadProgress {
  bytes: number;
  total: number | null;
  bytesPerSec: number;
}

export interface PullResult {
  path: string;
  bytes: number;
  sha256: string;
  url: string;
  /** True when the file was already there with the expected checksum. */
  alreadyPresent: boolean;
  /** True when sha256 was checked against a known digest. */
  verified: boolean;
}

const RESUME_ATTEMPTS = 4;
const GGUF_MAGIC = Buffer.from('GGUF', 'latin1');

/** The body is not a GGUF file (a log-in or download page, an error text): the same URL will send it again. */
class NotGgufError extends Error {
  readonly fatal = true;
  constructor(head: Buffer) {
    super(`is not a GGUF model file (${describeHead(head)})`);
  }
}

export function resolvePullSource(spec: string, config: LunaConfig, env: NodeJS.ProcessEnv = process.env, sha256?: string): PullSource {
  const mirror = env.LUNA_MODELS_MIRROR?.trim();
  const fromMirror = (file: string) => (mirror ? [`${mirror.replace(/\/+$/, '')}/${file}`] : []);
  if (spec === 'demo') {
    const file = config.demo.file;
    return { spec, fileName: file, urls: [...fromMirror(file), ...config.demo.urls], sha256: sha256 ?? config.demo.sha256, isDemo: true };
  }
  if (spec.startsWith('hf:')) {
    const parts = spec.slice(3).split('/').filter(Boolean);
    if (parts.length < 3 || !parts.at(-1)!.endsWith('.gguf')) {
      throw new UsageError(`expected hf:OWNER/REPO/FILE.gguf, found "${spec}"`, { hint: 'e.g. luna models pull hf:ggml-org/models/tinyllamas/stories260K.gguf' });
    }
    const [owner, repo, ...file] = parts;
    const fileName = file.at(-1)!;
    return { spec, fileName, urls: [...fromMirror(fileName), `https://huggingface.co/${owner}/${repo}/resolve/main/${file.join('/')}`], sha256: sha256 ?? null, isDemo: false };
  }
  if (/^https?:\/\//.test(spec) || spec.startsWith('file://')) {
    const fileName = path.basename(new URL(spec).pathname);
    if (!fileName) throw new UsageError(`cannot tell the file name from "${spec}"`);
    return { spec, fileName, urls: [spec], sha256: sha256 ?? null, isDemo: false };
  }
  throw new UsageError(`unknown model spec "${spec}"`, { hint: 'use `demo`, `hf:OWNER/REPO/FILE.gguf`, or an http(s) URL' });
}

export async function pullModel(
  source: PullSource,
  modelsDir: string,
  opts: { onProgress?: (p: DownloadProgress) => void; onAttempt?: (url: string) => void; signal?: AbortSignal } = {},
): Promise<PullResult> {
  mkdirSync(modelsDir, { recursive: true });
  const dest = path.join(modelsDir, source.fileName);
  const part = `${dest}.part`;
  if (existsSync(dest) && source.sha256) {
    const digest = await sha256File(dest);
    if (digest === source.sha256) return { path: dest, bytes: statSync(dest).size, sha256: digest, url: '', alreadyPresent: true, verified: true };
  }
  const failures: string[] = [];
  let sawNotGguf = false;
  for (const url of source.urls) {
    opts.onAttempt?.(url);
    try {
      await fetchToPart(url, part, opts);
    } catch (err) {
      if (err instanceof CancelledError) throw err;
      if (err instanceof NotGgufError) {
        // Nothing worth resuming: a later pull must not append the model to a web page.
        rmSync(part, { force: true });
        sawNotGguf = true;
        failures.push(`${url} ${err.message}`);
        continue;
      }
      failures.push(`${url}: ${(err as Error).message}`);
      continue;
    }
    const head = readHead(part);
    const gguf = isGguf(head);
    sawNotGguf ||= !gguf;
    const digest = await sha256File(part);
    if (source.sha256 && digest !== source.sha256.toLowerCase()) {
      rmSync(part, { force: true });
      failures.push(`${url}: sha256 mismatch (expected ${source.sha256}, got ${digest})${gguf ? '' : `; it ${new NotGgufError(head).message}`}`);
      continue;
    }
    if (!gguf) {
      rmSync(part, { force: true });
      failures.push(`${url} ${new NotGgufError(head).message}`);
      continue;
    }
    const bytes = statSync(part).size;
    renameSync(part, dest);
    return { path: dest, bytes, sha256: digest, url, alreadyPresent: false, verified: Boolean(source.sha256) };
  }
  throw new LunaError(`could not download ${source.fileName}: ${failures.join('; ')}`, ExitCode.failure, {
    hint: sawNotGguf
      ? 'the URL must serve the .gguf file itself, not a web page: use its direct download link (on HuggingFace …/resolve/main/FILE.gguf, not …/blob/main/…); a log-in page means the file needs access'
      : source.isDemo
      ? 'no internet? point $LUNA_MODELS_MIRROR at a folder (file:///…) or server that has stories260K.gguf'
      : 'check the URL and --sha256, or set $LUNA_MODELS_MIRROR',
  });
}

/** Downloads into `part`, resuming what is already there; retries a dropped connection from where it stopped. */
async function fetchToPart(url: string, part: string, opts: { onProgress?: (p: DownloadProgress) => void; signal?: AbortSignal }): Promise<void> {
  if (url.startsWith('file://')) {
    const src = fileURLToPath(url);
    if (!existsSync(src)) throw new Error('not found');
    await copyFile(src, part);
    const size = statSync(part).size;
    opts.onProgress?.({ bytes: size, total: size, bytesPerSec: 0 });
    return;
  }
  let lastError: unknown;
  for (let attempt = 0; attempt < RESUME_ATTEMPTS; attempt++) {
    if (opts.signal?.aborted) throw new CancelledError();
    const have = existsSync(part) ? statSync(part).size : 0;
    try {
      const done = await fetchOnce(url, part, have, opts);
      if (done) return;
    } catch (err) {
      if (opts.signal?.aborted) throw new CancelledError();
      if ((err as { fatal?: boolean }).fatal) throw err;
      lastError = err;
    }
  }
  throw lastError instanceof Error ? lastError : new Error('download kept failing');
}

async function fetchOnce(url: string, part: string, have: number, opts: { onProgress?: (p: DownloadProgress) => void; signal?: AbortSignal }): Promise<boolean> {
  const res = await fetch(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal: opts.signal, redirect: 'follow' });
  if (res.status === 416 && have > 0) {
    // The .part already holds the whole file (cut right at the end); the checksum decides.
    await res.body?.cancel();
    return true;
  }
  if (res.status !== 200 && res.status !== 206) {
    await res.body?.cancel();
    const err = new Error(`HTTP ${res.status}`);
    // 4xx will not get better by retrying the same URL.
    if (res.status >= 400 && res.status < 500) throw Object.assign(err, { fatal: true });
    throw err;
  }
  const append = res.status === 206 && have > 0;
  const length = Number(res.headers.get('content-length') ?? NaN);
  const total = Number.isFinite(length) ? length + (append ? have : 0) : null;
  // A server that labels the body a web page has likely sent a log-in or download page: look at its first
  // bytes and stop there rather than download it. Other labels are checked once the file is complete.
  let sniffing = !append && /^\s*text\/html\b/i.test(res.headers.get('content-type') ?? '');
  let head = Buffer.alloc(0);
  const out = createWriteStream(part, { flags: append ? 'a' : 'w' });
  let bytes = append ? have : 0;
  const started = performance.now();
  const startBytes = bytes;
  try {
    if (!res.body) throw new Error('empty body');
    for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
      if (sniffing) {
        head = Buffer.concat([head, chunk]);
        if (head.length >= GGUF_MAGIC.length) {
          sniffing = false;
          if (!isGguf(head)) throw new NotGgufError(head);
        }
      }
      if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
      bytes += chunk.length;
      const secs = (performance.now() - started) / 1000;
      opts.onProgress?.({ bytes, total, bytesPerSec: secs > 0 ? (bytes - startBytes) / secs : 0 });
    }
  } finally {
    await new Promise<void>((resolve) => out.end(() => resolve()));
  }
  if (total !== null && bytes < total) throw new Error(`connection closed at ${bytes} of ${total} bytes`);
  return true;
}

function isGguf(head: Buffer): boolean {
  return head.subarray(0, GGUF_MAGIC.length).equals(GGUF_MAGIC);
}

function readHead(file: string, n = 64): Buffer {
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(n);
    return buf.subarray(0, readSync(fd, buf, 0, n, 0));
  } finally {
    closeSync(fd);
  }
}

/** What the file looks like instead, e.g. `it starts with "<!DOCTYPE html><html>…"`: enough to recognise a web page. */
function describeHead(head: Buffer): string {
  if (head.length === 0) return 'it is empty';
  const shown = head.subarray(0, 40);
  const text = shown.toString('latin1').replace(/\s+/g, ' ').replace(/[^\x20-\x7e]/g, '.').trim();
  return `it starts with "${text}${head.length > shown.length ? '…' : ''}"`;
}

export function sha256File(file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(file).on('data', (c) => h.update(c)).on('end', () => resolve(h.digest('hex'))).on('error', reject);
  });
}
