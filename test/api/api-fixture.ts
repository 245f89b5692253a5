import { Writable } from 'node:stream';
import { buildApiApp, type ApiApp, type ApiOptions } from '../../src/api/server.js';
import { combineEndpointSources } from '../../src/models/endpoints.js';
import { createSession } from '../../src/runtime/session.js';
import { openStore } from '../../src/store/open.js';
import { pipelineFixture, type PipelineFixture } from '../helpers/pipeline-fixture.js';

/** A fetch Response whose json() is untyped, as test assertions read it. */
export type JsonResponse = Omit<Response, 'json'> & { json(): Promise<any> };

export interface ApiFixture {
  fx: PipelineFixture;
  api: ApiApp;
  url: string;
  /** Account id → API key secret. */
  keys: Record<string, string>;
  logs: string[];
  req(method: string, path: string, opts?: { key?: string | null; body?: unknown; raw?: string; headers?: Record<string, string>; signal?: AbortSignal }): Promise<JsonResponse>;
  close(): Promise<void>;
}

/**
 * The API on a real HTTP port (127.0.0.1:0) over a real SQLite store and the loopback model servers of
 * pipelineFixture, with two accounts (a, b) and a key each. JSON logs are captured for assertions.
 */
export async function apiFixture(options: ApiOptions = {}, extraConfig: Record<string, unknown> = {}, databaseUrl?: string): Promise<ApiFixture> {
  let fx = await pipelineFixture(extraConfig);
  if (databaseUrl) fx = await onDatabase(fx, databaseUrl);
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _enc, cb) {
      logs.push(String(chunk));
      cb();
    },
  });
  const api = await buildApiApp({ store: fx.store, loaded: fx.loaded, session: fx.session, options: { dream: false, logger: { level: 'info', stream }, ...options } });
  const url = await api.app.listen({ host: '127.0.0.1', port: 0 });
  const keys: Record<string, string> = {};
  for (const id of ['a', 'b']) {
    await fx.store.createAccount({ id, name: `Account ${id}` });
    keys[id] = (await fx.store.createApiKey(id, 'test')).secret;
  }
  return {
    fx,
    api,
    url,
    keys,
    logs,
    req(method, path, opts = {}) {
      const headers: Record<string, string> = { ...(opts.headers ?? {}) };
      const key = opts.key === undefined ? keys.a : opts.key;
      if (key) headers.authorization = `Bearer ${key}`;
      let body: string | undefined = opts.raw;
      if (opts.body !== undefined) body = JSON.stringify(opts.body);
      if (body !== undefined) headers['content-type'] ??= 'application/json';
      return fetch(`${url}${path}`, { method, headers, body, signal: opts.signal });
    },
    async close() {
      await api.shutdown(1000);
      await fx.close();
    },
  };
}

export interface SseEvent {
  id: string | null;
  event: string;
  data: any;
}

/** Reads an SSE body event by event; `onEvent` returning true stops reading (and the caller may abort). */
export async function readSse(res: JsonResponse | Response, onEvent?: (e: SseEvent) => boolean | void): Promise<SseEvent[]> {
  const out: SseEvent[] = [];
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += dec.decode(value, { stream: true });
    let i: number;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const e: SseEvent = { id: null, event: 'message', data: null };
      for (const line of block.split('\n')) {
        if (line.startsWith('id: ')) e.id = line.slice(4);
        else if (line.startsWith('event: ')) e.event = line.slice(7);
        else if (line.startsWith('data: ')) e.data = line.slice(6) === '[DONE]' ? '[DONE]' : JSON.parse(line.slice(6));
      }
      out.push(e);
      if (onEvent?.(e)) {
        await reader.cancel().catch(() => undefined);
        return out;
      }
    }
  }
  return out;
}

/** Waits (without a time limit of its own: vitest's test timeout bounds it) until cond holds. */
export async function until(cond: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await cond())) await new Promise((r) => setTimeout(r, 10));
}

/** The same fixture over another database (PostgreSQL): its store and a session on it replace the SQLite ones. */
async function onDatabase(fx: PipelineFixture, url: string): Promise<PipelineFixture> {
  await fx.session.close();
  await fx.store.close();
  const loaded = { ...fx.loaded, config: { ...fx.loaded.config, database: { ...fx.loaded.config.database, url } } };
  const store = await openStore(loaded.config.database, fx.home);
  const session = await createSession(store, loaded, { endpoints: combineEndpointSources([]) });
  return {
    ...fx,
    loaded,
    store,
    session,
    async close() {
      await session.close();
      await store.close();
      await fx.strategist.close();
      await fx.writer.close();
    },
  };
}
