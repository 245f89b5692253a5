import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ConfigError, isAbortError, ModelError, redactSecrets } from '../errors.js';
import { sleep } from '../queue/store-queue.js';
import { openEvents, waitForRun, type ComfyRunStatus, type HistoryEntry } from './comfyui-wait.js';

export interface ComfyUiConfig {
  url: string;
  workflow: string;
  placeholder: string;
  timeoutMs: number;
  runTimeoutMs: number;
  retries: number;
  retryBackoffMs: number;
  transport: 'auto' | 'websocket' | 'poll';
  pollMs: number;
}

export interface ComfyImage {
  filename: string;
  subfolder: string;
  bytes: Buffer;
}

export interface ComfyRun {
  promptId: string;
  images: ComfyImage[];
  /** Execution time ComfyUI reported (execution_start → success), else submission → done as seen from here. */
  gpuMs: number;
  gpuMsReported: boolean;
  /** Submissions it took (transient failures are retried before the prompt is accepted). */
  attempts: number;
  transport: 'websocket' | 'poll';
}

/** A failure no retry can fix: the queue fails the job at once (see isPermanentJobError). */
export class ComfyUiRefused extends ModelError {
  readonly permanent = true;
}

const MAX_IMAGE_BYTES = 64 * 1024 * 1024;

export interface ComfyUiClient {
  /** `onAccepted`: ComfyUI took the prompt (from then on, the GPU may be spending time on it). */
  run(prompt: string, meta: { storyId: string; turnId: string }, signal?: AbortSignal, onAccepted?: () => void): Promise<ComfyRun>;
  /** A hash of what `run` submits for this prompt (the workflow with the prompt filled in): same request, same fingerprint. */
  fingerprint(prompt: string): string;
  readonly url: string;
}

/**
 * Runs an image prompt on ComfyUI: POST /prompt with the API-format workflow (every string containing the
 * placeholder gets the prompt), learn when it finishes from /ws (or by polling /history/{id}), read the
 * outputs from /history and download each with /view. Only the submission is retried: once ComfyUI has
 * accepted a prompt, resubmitting would render it twice, so later steps retry their own idempotent GETs.
 */
export function createComfyUiClient(cfg: ComfyUiConfig): ComfyUiClient {
  const workflow = readWorkflow(cfg);
  const base = cfg.url.endsWith('/') ? cfg.url : `${cfg.url}/`;
  const http = createHttp(cfg, base);
  return {
    url: cfg.url,
    fingerprint: (prompt) => createHash('sha256').update(JSON.stringify(fill(workflow, cfg.placeholder, prompt))).digest('hex'),
    async run(prompt, meta, signal, onAccepted) {
      const started = Date.now();
      const clientId = randomUUID();
      // Listen before submitting, so a fast run's messages are not missed.
      const events = cfg.transport === 'poll' ? null : await openEvents(base, clientId, cfg, signal);
      try {
        if (cfg.transport === 'websocket' && !events) {
          throw new ModelError(`ComfyUI at ${cfg.url}: cannot open its websocket /ws`, { retryable: true, hint: 'set agents.dreamer.comfyui.transport: poll, or check the server' });
        }
        const { promptId, attempts } = await submit(http, cfg, { prompt: fill(workflow, cfg.placeholder, prompt), client_id: clientId, extra_data: { luna: meta } }, signal);
        onAccepted?.();
        const deadline = AbortSignal.timeout(cfg.runTimeoutMs);
        const both = signal ? AbortSignal.any([signal, deadline]) : deadline;
        let entry: HistoryEntry;
        let status: ComfyRunStatus;
        try {
          ({ entry, status } = await waitForRun({ http, promptId, events, pollMs: cfg.pollMs, signal: both }));
        } catch (err) {
          if (deadline.aborted && !signal?.aborted) {
            await cancel(http, promptId);
            throw new ModelError(`ComfyUI at ${cfg.url} did not finish prompt ${promptId} within ${+(cfg.runTimeoutMs / 1000).toFixed(1)} s (runTimeoutMs); it was cancelled`, {
              retryable: true, hint: 'check the ComfyUI console; a bigger workflow may need a longer agents.dreamer.comfyui.runTimeoutMs',
            });
          }
          if (signal?.aborted) await cancel(http, promptId);
          throw err;
        }
        if (status.error) throw new ModelError(`ComfyUI failed prompt ${promptId}: ${status.error}`, { retryable: true });
        const refs = outputImages(entry);
        // Nothing saved is a workflow problem (only PreviewImage, whose files are temporary): retrying cannot help.
        if (!refs.length) {
          throw new ComfyUiRefused(`ComfyUI ran prompt ${promptId} but its workflow saved no image`, { hint: 'end the workflow with a SaveImage node (PreviewImage only keeps temporary files)' });
        }
        const images: ComfyImage[] = [];
        for (const ref of refs) {
          const q = new URLSearchParams({ filename: ref.filename, subfolder: ref.subfolder, type: ref.type });
          const bytes = await http.getBytes(`view?${q}`, signal);
          images.push({ filename: ref.filename, subfolder: ref.subfolder, bytes });
        }
        const reported = status.gpuMs;
        return { promptId, images, gpuMs: reported ?? Date.now() - started, gpuMsReported: reported !== null, attempts, transport: events ? 'websocket' : 'poll' };
      } finally {
        events?.close();
      }
    },
  };
}

async function submit(http: Http, cfg: ComfyUiConfig, body: unknown, signal?: AbortSignal): Promise<{ promptId: string; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await http.post('prompt', body, signal);
      const parsed = parseJson(res.text);
      if (res.status === 400) throw new ComfyUiRefused(`ComfyUI refused the workflow: ${describeRefusal(parsed, res.text)}`, { status: 400, hint: 'fix the workflow (agents.dreamer.comfyui.workflow): load it in ComfyUI and queue it there to see the node' });
      if (res.status >= 400) throw new ModelError(`ComfyUI refused the prompt (HTTP ${res.status}): ${redactSecrets(res.text.slice(0, 300))}`, { retryable: res.status >= 500 || res.status === 429, status: res.status });
      const id = (parsed as { prompt_id?: unknown } | null)?.prompt_id;
      if (typeof id !== 'string' || !id) throw new ModelError(`ComfyUI at ${cfg.url} answered /prompt without a prompt_id: ${redactSecrets(res.text.slice(0, 200))}`, { retryable: false });
      return { promptId: id, attempts: attempt };
    } catch (err) {
      if (signal?.aborted || isAbortError(err)) throw err;
      const retryable = err instanceof ModelError ? err.retryable : true;
      if (!retryable || attempt > cfg.retries) throw err;
      await sleep(cfg.retryBackoffMs * 2 ** (attempt - 1) * (0.75 + Math.random() / 2), signal);
    }
  }
}

/** node_errors: {"6": {class_type, errors: [{message, details}]}} → "node 6 (CLIPTextEncode): Required input is missing: clip". */
export function describeRefusal(body: unknown, raw: string): string {
  const b = (body ?? {}) as { error?: { message?: string } | string; node_errors?: Record<string, { class_type?: string; errors?: { message?: string; details?: string }[] }> };
  const nodes = Object.entries(b.node_errors ?? {}).map(([id, n]) => {
    const errs = (n.errors ?? []).map((e) => [e.message, e.details].filter(Boolean).join(': ')).join('; ');
    return `node ${id}${n.class_type ? ` (${n.class_type})` : ''}: ${errs || 'invalid'}`;
  });
  const top = typeof b.error === 'string' ? b.error : b.error?.message;
  const text = nodes.length ? nodes.join('; ') : top ?? raw.slice(0, 300);
  return redactSecrets(text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 600));
}

interface ImageRef { filename: string; subfolder: string; type: string }

/** Every saved image of the run's output nodes (type "output"; "temp" previews are not kept). */
export function outputImages(entry: HistoryEntry): ImageRef[] {
  const out: ImageRef[] = [];
  const outputs = (entry.outputs ?? {}) as Record<string, { images?: Partial<ImageRef>[] }>;
  for (const node of Object.keys(outputs).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))) {
    for (const img of outputs[node]?.images ?? []) {
      if (typeof img.filename !== 'string' || (img.type ?? 'output') !== 'output') continue;
      out.push({ filename: img.filename, subfolder: typeof img.subfolder === 'string' ? img.subfolder : '', type: 'output' });
    }
  }
  return out;
}

/** Best effort: drop the prompt from the queue, and stop it if it is running (newer ComfyUI takes prompt_id). */
async function cancel(http: Http, promptId: string): Promise<void> {
  await http.post('queue', { delete: [promptId] }).catch(() => undefined);
  await http.post('interrupt', { prompt_id: promptId }).catch(() => undefined);
}

export interface Http {
  post(path: string, body: unknown, signal?: AbortSignal): Promise<{ status: number; text: string }>;
  /** GET with retries (idempotent): JSON text. */
  getText(path: string, signal?: AbortSignal): Promise<string>;
  getBytes(path: string, signal?: AbortSignal): Promise<Buffer>;
}

function createHttp(cfg: ComfyUiConfig, base: string): Http {
  const url = (p: string) => new URL(p, base).toString();
  const sig = (signal?: AbortSignal) => (signal ? AbortSignal.any([signal, AbortSignal.timeout(cfg.timeoutMs)]) : AbortSignal.timeout(cfg.timeoutMs));
  const unreachable = (err: unknown) => new ModelError(`ComfyUI at ${cfg.url} did not answer: ${(err as Error).message}`, { retryable: true, hint: 'check agents.dreamer.comfyui.url and that ComfyUI is running' });
  const get = async <T>(p: string, signal: AbortSignal | undefined, read: (res: Response) => Promise<T>): Promise<T> => {
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await fetch(url(p), { signal: sig(signal) });
        if (res.status >= 500 || res.status === 429) throw new ModelError(`ComfyUI GET /${p.split('?')[0]} answered HTTP ${res.status}`, { retryable: true, status: res.status });
        if (!res.ok) throw new ModelError(`ComfyUI GET /${p.split('?')[0]} answered HTTP ${res.status}: ${redactSecrets((await res.text()).slice(0, 200))}`, { retryable: false, status: res.status });
        return await read(res);
      } catch (err) {
        if (signal?.aborted) throw err;
        const e = err instanceof ModelError ? err : unreachable(err);
        if (!e.retryable || attempt > cfg.retries) throw e;
        await sleep(cfg.retryBackoffMs * 2 ** (attempt - 1), signal);
      }
    }
  };
  return {
    async post(p, body, signal) {
      let res: Response;
      try {
        res = await fetch(url(p), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), signal: sig(signal) });
      } catch (err) {
        if (signal?.aborted) throw err;
        throw unreachable(err);
      }
      return { status: res.status, text: await res.text() };
    },
    getText: (p, signal) => get(p, signal, (res) => res.text()),
    getBytes: (p, signal) => get(p, signal, async (res) => {
      const len = Number(res.headers.get('content-length') ?? 0);
      if (len > MAX_IMAGE_BYTES) throw new ModelError(`ComfyUI sent an image of ${len} bytes; the most LUNA keeps is ${MAX_IMAGE_BYTES}`, { retryable: false });
      const buf = Buffer.from(await res.arrayBuffer());
      if (buf.length === 0) throw new ModelError(`ComfyUI sent an empty image for /${p}`, { retryable: true });
      if (buf.length > MAX_IMAGE_BYTES) throw new ModelError(`ComfyUI sent an image of ${buf.length} bytes; the most LUNA keeps is ${MAX_IMAGE_BYTES}`, { retryable: false });
      return buf;
    }),
  };
}

function readWorkflow(cfg: ComfyUiConfig): unknown {
  let workflow: unknown;
  try {
    workflow = JSON.parse(readFileSync(cfg.workflow, 'utf8'));
  } catch (err) {
    throw new ConfigError(`agents.dreamer.comfyui.workflow: cannot read ${cfg.workflow}: ${(err as Error).message}`, {
      hint: 'export the workflow from ComfyUI with "Save (API Format)"',
    });
  }
  if (!JSON.stringify(workflow).includes(cfg.placeholder)) {
    throw new ConfigError(`agents.dreamer.comfyui.workflow: ${cfg.workflow} does not contain the placeholder "${cfg.placeholder}"`, {
      hint: 'put the placeholder in the positive prompt text of the workflow',
    });
  }
  return workflow;
}

export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function fill(value: unknown, placeholder: string, prompt: string): unknown {
  if (typeof value === 'string') return value.includes(placeholder) ? value.split(placeholder).join(prompt) : value;
  if (Array.isArray(value)) return value.map((v) => fill(v, placeholder, prompt));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v, placeholder, prompt)]));
  return value;
}
