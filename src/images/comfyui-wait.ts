import { sleep } from '../queue/store-queue.js';
import type { ComfyUiConfig, Http } from './comfyui.js';

/** One /history/{prompt_id} entry: outputs per node and a status with the run's messages. */
export interface HistoryEntry {
  outputs?: Record<string, unknown>;
  status?: { status_str?: string; completed?: boolean; messages?: [string, Record<string, unknown>][] };
}

export interface ComfyRunStatus {
  /** The node's own message when the run failed. */
  error: string | null;
  /** execution_start → execution_success/error, from ComfyUI's own timestamps; null when it sent none. */
  gpuMs: number | null;
}

/** What a front end needs of a websocket: the browser shape, which both Node's global and the `ws` package have. */
interface WsLike {
  onopen: (() => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onclose: (() => void) | null;
  close(): void;
  /** The `ws` package's immediate close: close() waits up to 30 s for the server's close frame, holding the process open. */
  terminate?(): void;
}
type WsCtor = new (url: string) => WsLike;

export interface RunEvents {
  /** Resolves when ComfyUI says the prompt is done (`executing` with node null) or the socket closes. */
  finished(promptId: string, signal: AbortSignal): Promise<'done' | 'closed'>;
  close(): void;
}

/**
 * Node 20 has no global WebSocket (it is behind --experimental-websocket); the `ws` package is used when
 * present (ink already depends on it). Neither: null, and the run is polled.
 */
async function webSocketClass(): Promise<WsCtor | null> {
  const g = (globalThis as { WebSocket?: WsCtor }).WebSocket;
  if (g) return g;
  try {
    const name = 'ws';
    const m = (await import(name)) as { WebSocket?: WsCtor; default?: WsCtor };
    return m.WebSocket ?? m.default ?? null;
  } catch {
    return null;
  }
}

/** Opens /ws?clientId=… before the prompt is submitted; null when no websocket can be had (then: poll). */
export async function openEvents(base: string, clientId: string, cfg: Pick<ComfyUiConfig, 'timeoutMs'>, signal?: AbortSignal): Promise<RunEvents | null> {
  const Ws = await webSocketClass();
  if (!Ws) return null;
  const u = new URL(`ws?clientId=${encodeURIComponent(clientId)}`, base);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  let ws: WsLike;
  try {
    ws = new Ws(u.toString());
  } catch {
    return null;
  }
  const finishedIds = new Set<string>();
  let closed = false;
  const waiters = new Set<() => void>();
  const wake = () => { for (const w of waiters) w(); };
  const opened = await new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(t);
      signal?.removeEventListener('abort', onAbort);
      resolve(ok);
    };
    const onAbort = () => done(false);
    const t = setTimeout(() => done(false), cfg.timeoutMs);
    ws.onopen = () => done(true);
    ws.onerror = () => done(false);
    ws.onclose = () => done(false);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
  if (!opened) {
    try {
      if (ws.terminate) ws.terminate();
      else ws.close();
    } catch { /* already closed */ }
    return null;
  }
  ws.onmessage = (ev) => {
    // Binary frames are live previews; only JSON text frames carry the run's progress.
    if (typeof ev.data !== 'string') return;
    let msg: { type?: string; data?: { node?: unknown; prompt_id?: unknown } };
    try {
      msg = JSON.parse(ev.data) as typeof msg;
    } catch {
      return;
    }
    const id = typeof msg.data?.prompt_id === 'string' ? msg.data.prompt_id : null;
    if (!id) return;
    // `executing` with node null comes after the history entry is written, errors included.
    if (msg.type === 'executing' && msg.data?.node === null) {
      finishedIds.add(id);
      wake();
    }
  };
  ws.onerror = () => undefined;
  ws.onclose = () => { closed = true; wake(); };
  return {
    finished: (promptId, sig) => new Promise((resolve, reject) => {
      const check = () => {
        if (finishedIds.has(promptId)) return done('done');
        if (closed) return done('closed');
        if (sig.aborted) return (waiters.delete(check), reject(sig.reason ?? new Error('aborted')));
      };
      const done = (r: 'done' | 'closed') => (waiters.delete(check), sig.removeEventListener('abort', check), resolve(r));
      waiters.add(check);
      sig.addEventListener('abort', check, { once: true });
      check();
    }),
    close: () => {
      closed = true;
      try {
        if (ws.terminate) ws.terminate();
        else ws.close();
      } catch { /* already closed */ }
    },
  };
}

/**
 * Waits for the run to finish and returns its history entry. With a websocket, the history is read once it
 * says the run is done (or the socket dropped: then polling takes over); without, /history is polled.
 */
export async function waitForRun(opts: { http: Http; promptId: string; events: RunEvents | null; pollMs: number; signal: AbortSignal }): Promise<{ entry: HistoryEntry; status: ComfyRunStatus }> {
  const { http, promptId, signal } = opts;
  if (opts.events) await opts.events.finished(promptId, signal);
  for (;;) {
    if (signal.aborted) throw signal.reason ?? new Error('aborted');
    const body = JSON.parse(await http.getText(`history/${encodeURIComponent(promptId)}`, signal)) as Record<string, HistoryEntry>;
    const entry = body?.[promptId];
    // An entry appears when the run is over; `completed`/status_str are there on every current ComfyUI.
    if (entry && (entry.status === undefined || entry.status.completed === true || entry.status.status_str === 'success' || entry.status.status_str === 'error')) {
      return { entry, status: runStatus(entry) };
    }
    await sleep(opts.pollMs, signal);
  }
}

export function runStatus(entry: HistoryEntry): ComfyRunStatus {
  const messages = Array.isArray(entry.status?.messages) ? entry.status.messages : [];
  const find = (type: string) => messages.find((m) => Array.isArray(m) && m[0] === type)?.[1];
  const start = find('execution_start')?.timestamp;
  const end = (find('execution_success') ?? find('execution_error') ?? find('execution_interrupted'))?.timestamp;
  const gpuMs = typeof start === 'number' && typeof end === 'number' && end >= start ? end - start : null;
  let error: string | null = null;
  const failed = find('execution_error');
  if (failed) {
    const f = failed as { node_id?: unknown; node_type?: unknown; exception_message?: unknown; exception_type?: unknown };
    error = `node ${String(f.node_id ?? '?')}${f.node_type ? ` (${String(f.node_type)})` : ''}: ${String(f.exception_message ?? f.exception_type ?? 'execution error').trim()}`;
  } else if (find('execution_interrupted')) error = 'the run was interrupted on the server';
  else if (entry.status?.status_str === 'error') error = 'the run failed (no message)';
  if (error) error = error.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 600);
  return { error, gpuMs };
}
