/**
 * A loopback server (127.0.0.1, ephemeral port) that speaks the OpenAI Chat Completions wire protocol:
 * SSE framing `data: {chat.completion.chunk}\n\n … data: [DONE]\n\n`, usage in a final choices-less chunk
 * when `stream_options.include_usage` is set, exact error bodies, plus GET /v1/models and POST /v1/embeddings.
 * Replies are scripted per request in order (a queue per route) with a default reply when the queue is empty.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listenOnLoopback } from './listen.js';
import { geminiErrorBody, upstreamRefusal, type Upstream } from './upstream-rules.js';

export interface RecordedRequest {
  method: string;
  /** Path without the query string, e.g. `/v1/chat/completions`. */
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined for GET or a non-JSON body). */
  body: any;
  raw: string;
}

export interface UsageSpec {
  prompt_tokens: number;
  completion_tokens: number;
  cached_tokens?: number;
}

/** Reply kinds shared by the OpenAI and Anthropic servers. */
export type ScriptedReply =
  /** Streamed when the request asks for a stream, else one completion; `chunks` joined are the content. */
  | { kind: 'text'; chunks: string[]; usage?: UsageSpec; finishReason?: string; delayMs?: number; noUsage?: boolean }
  /** JSON content (JSON.stringify(value) split into `parts` chunks). On Anthropic with tools: a tool_use block. */
  | { kind: 'json'; value: unknown; parts?: number; usage?: UsageSpec; delayMs?: number }
  | { kind: 'error'; status: number; message?: string; type?: string; code?: string | null; param?: string | null; retryAfter?: string | number; retryAfterMs?: number }
  /** 200 with a body that is not valid JSON (non-stream) or an SSE event whose data is not valid JSON (stream). */
  | { kind: 'malformed' }
  /** Sends `chunks` (streamed) then destroys the socket before the stream ends. */
  | { kind: 'cut'; chunks: string[]; delayMs?: number }
  /** Never answers; the connection stays open until the client gives up or the server closes. */
  | { kind: 'hang' }
  /** Anthropic only: an `event: error` inside a 200 stream after `chunks`. */
  | { kind: 'stream-error'; chunks: string[]; type?: string; message?: string };

export type Route = 'chat' | 'embeddings' | 'models' | 'messages';

export interface LoopbackServer {
  /** `http://127.0.0.1:PORT/v1` for OpenAI; `http://127.0.0.1:PORT` for Anthropic (its SDK appends /v1). */
  baseUrl: string;
  port: number;
  requests: RecordedRequest[];
  /** Queues replies for the main generation route (chat completions / messages), consumed in order. */
  script(...replies: ScriptedReply[]): void;
  /** Queues replies for another route (`models`, `embeddings`). */
  scriptRoute(route: Route, ...replies: ScriptedReply[]): void;
  /** Reply used when the generation queue is empty. */
  setDefault(reply: ScriptedReply): void;
  /** Replies still queued for the generation route. */
  pending(): number;
  close(): Promise<void>;
}

export interface OpenAIServerOptions {
  defaultReply?: ScriptedReply;
  /** Ids listed by GET /v1/models. */
  models?: string[];
  embeddingDim?: number;
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401 invalid_api_key body. */
  apiKey?: string;
  /** Whose refusals to play (upstream-rules.ts): OpenAI's (reasoning models) by default, or Gemini's. */
  upstream?: Upstream;
}

const DEFAULT_TEXT: ScriptedReply = { kind: 'text', chunks: ['Once upon a time', ', a fox', ' ran home.'] };

export async function startOpenAIServer(opts: OpenAIServerOptions = {}): Promise<LoopbackServer> {
  let defaultReply = opts.defaultReply ?? DEFAULT_TEXT;
  const dim = opts.embeddingDim ?? 8;
  const handler = async (req: RecordedRequest, res: ServerResponse, route: Route | null, next: () => ScriptedReply | undefined) => {
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return sendOpenAIError(res, { kind: 'error', status: 401, type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' });
    }
    if (route === null) return sendOpenAIError(res, { kind: 'error', status: 404, type: 'invalid_request_error', code: 'unknown_url', message: `Unknown request URL: ${req.method} ${req.path}.` });
    if (route === 'chat') {
      const refusal = upstreamRefusal(opts.upstream ?? 'openai', req.body);
      if (refusal?.kind === 'gemini-error') return sendJson(res, refusal.status, geminiErrorBody(refusal.status, refusal.message));
      if (refusal) return sendOpenAIError(res, refusal);
    }
    const scripted = next();
    if (route === 'models') {
      if (scripted) return sendGeneric(res, scripted, sendOpenAIError);
      return sendJson(res, 200, { object: 'list', data: (opts.models ?? ['test-model']).map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'loopback' })) });
    }
    if (route === 'embeddings') {
      if (scripted) return sendGeneric(res, scripted, sendOpenAIError);
      const inputs: string[] = Array.isArray(req.body?.input) ? req.body.input : [String(req.body?.input ?? '')];
      const tokens = inputs.reduce((n, t) => n + words(t), 0);
      return sendJson(res, 200, {
        object: 'list',
        data: inputs.map((t, index) => ({ object: 'embedding', index, embedding: fakeEmbedding(t, dim) })),
        model: req.body?.model ?? 'test-embedding',
        usage: { prompt_tokens: tokens, total_tokens: tokens },
      });
    }
    return sendChat(req, res, scripted ?? defaultReply);
  };
  const server = await startLoopback((p) => {
    if (p === '/v1/chat/completions') return 'chat';
    if (p === '/v1/embeddings') return 'embeddings';
    if (p === '/v1/models') return 'models';
    return null;
  }, handler);
  return {
    ...server,
    baseUrl: `http://127.0.0.1:${server.port}/v1`,
    script: (...r) => server.queue('chat', r),
    scriptRoute: (route, ...r) => server.queue(route, r),
    setDefault: (r) => { defaultReply = r; },
    pending: () => server.pending('chat'),
  };
}

async function sendChat(req: RecordedRequest, res: ServerResponse, reply: ScriptedReply): Promise<void> {
  const model = String(req.body?.model ?? 'test-model');
  const stream = req.body?.stream === true;
  const includeUsage = req.body?.stream_options?.include_usage === true;
  const id = `chatcmpl-loop${Math.random().toString(36).slice(2, 10)}`;
  const created = Math.floor(Date.now() / 1000);
  if (reply.kind === 'error' || reply.kind === 'hang') return sendGeneric(res, reply, sendOpenAIError);
  if (reply.kind === 'malformed') {
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(`{"id":"${id}","object":"chat.completion","choices":[{"index":0,"message":{"role":"assist`);
    }
    openSse(res);
    res.write(`data: {"id":"${id}","object":"chat.completion.chunk","choices":[{"delta":{"content":"Hel\n\n`);
    return void res.end();
  }
  if (reply.kind === 'stream-error') throw new Error('stream-error replies are Anthropic-only');
  const chunks = reply.kind === 'json' ? splitParts(JSON.stringify(reply.value), reply.parts ?? 3) : reply.chunks;
  const delayMs = 'delayMs' in reply ? reply.delayMs ?? 0 : 0;
  const usage = reply.kind !== 'cut' ? reply.usage ?? defaultUsage(req.body, chunks) : defaultUsage(req.body, chunks);
  const usageBody = {
    prompt_tokens: usage.prompt_tokens,
    completion_tokens: usage.completion_tokens,
    total_tokens: usage.prompt_tokens + usage.completion_tokens,
    prompt_tokens_details: { cached_tokens: usage.cached_tokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
  };
  const finishReason = reply.kind === 'text' ? reply.finishReason ?? 'stop' : 'stop';
  const noUsage = reply.kind === 'text' && reply.noUsage === true;
  if (!stream) {
    if (reply.kind === 'cut') return cutBody(res);
    return sendJson(res, 200, {
      id, object: 'chat.completion', created, model, system_fingerprint: 'fp_loopback',
      choices: [{ index: 0, message: { role: 'assistant', content: chunks.join(''), refusal: null, annotations: [] }, logprobs: null, finish_reason: finishReason }],
      ...(noUsage ? {} : { usage: usageBody }),
      service_tier: 'default',
    });
  }
  const base = { id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_loopback' };
  const frame = (choices: unknown[], extra: Record<string, unknown> = {}) =>
    `data: ${JSON.stringify({ ...base, choices, ...(includeUsage ? { usage: null } : {}), ...extra })}\n\n`;
  openSse(res);
  res.write(frame([{ index: 0, delta: { role: 'assistant', content: '', refusal: null }, logprobs: null, finish_reason: null }]));
  for (const text of chunks) {
    if (delayMs) await sleep(delayMs);
    if (res.destroyed) return;
    res.write(frame([{ index: 0, delta: { content: text }, logprobs: null, finish_reason: null }]));
  }
  if (reply.kind === 'cut') return cutSocket(res);
  res.write(frame([{ index: 0, delta: {}, logprobs: null, finish_reason: finishReason }]));
  if (includeUsage && !noUsage) res.write(frame([], { usage: usageBody }));
  res.write('data: [DONE]\n\n');
  res.end();
}

export function sendOpenAIError(res: ServerResponse, r: Extract<ScriptedReply, { kind: 'error' }>): void {
  const defaults: Record<number, { type: string; code: string | null; message: string }> = {
    400: { type: 'invalid_request_error', code: null, message: 'Invalid request.' },
    401: { type: 'invalid_request_error', code: 'invalid_api_key', message: 'Incorrect API key provided.' },
    404: { type: 'invalid_request_error', code: 'model_not_found', message: 'The model does not exist or you do not have access to it.' },
    429: { type: 'requests', code: 'rate_limit_exceeded', message: 'Rate limit reached for requests. Please try again in 1s.' },
    500: { type: 'server_error', code: null, message: 'The server had an error while processing your request. Sorry about that!' },
    503: { type: 'server_error', code: null, message: 'The engine is currently overloaded, please try again later.' },
  };
  const d = defaults[r.status] ?? { type: r.status >= 500 ? 'server_error' : 'invalid_request_error', code: null, message: `HTTP ${r.status}` };
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': 'req_loopback' };
  if (r.retryAfter !== undefined) headers['retry-after'] = String(r.retryAfter);
  if (r.retryAfterMs !== undefined) headers['retry-after-ms'] = String(r.retryAfterMs);
  res.writeHead(r.status, headers);
  res.end(JSON.stringify({ error: { message: r.message ?? d.message, type: r.type ?? d.type, param: r.param ?? null, code: r.code === undefined ? d.code : r.code } }));
}

// ---------------------------------------------------------------------------------------------------------
// Shared plumbing for the loopback servers.

type Handler = (req: RecordedRequest, res: ServerResponse, route: Route | null, next: () => ScriptedReply | undefined) => Promise<void> | void;

export interface LoopbackCore {
  port: number;
  requests: RecordedRequest[];
  queue(route: Route, replies: ScriptedReply[]): void;
  pending(route: Route): number;
  close(): Promise<void>;
}

export async function startLoopback(routeOf: (path: string) => Route | null, handler: Handler): Promise<LoopbackCore> {
  const requests: RecordedRequest[] = [];
  const queues = new Map<Route, ScriptedReply[]>();
  const server: Server = createServer((req, res) => {
    readBody(req).then(async (raw) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      let body: unknown;
      try { body = raw ? JSON.parse(raw) : undefined; } catch { body = undefined; }
      const rec: RecordedRequest = { method: req.method ?? 'GET', path, headers: { ...req.headers }, body, raw };
      requests.push(rec);
      const route = routeOf(path);
      await handler(rec, res, route, () => (route ? queues.get(route)?.shift() : undefined));
    }).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(err));
    });
  });
  const listening = await listenOnLoopback(server);
  const port = listening.port;
  return {
    port,
    requests,
    queue(route, replies) {
      const q = queues.get(route) ?? [];
      q.push(...replies);
      queues.set(route, q);
    },
    pending: (route) => queues.get(route)?.length ?? 0,
    close: listening.close,
  };
}

/** Error, hang, cut and malformed replies for routes without a streaming shape (models, embeddings). */
export function sendGeneric(res: ServerResponse, r: ScriptedReply, sendError: (res: ServerResponse, r: Extract<ScriptedReply, { kind: 'error' }>) => void): void {
  switch (r.kind) {
    case 'error': return sendError(res, r);
    case 'hang': return; // keep the socket open; close() destroys it
    case 'malformed':
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end('{"object":"list","data":[{');
    case 'cut': return cutBody(res);
    default:
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`reply kind ${r.kind} not supported on this route`);
  }
}

export function openSse(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-request-id': 'req_loopback' });
  res.flushHeaders();
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Promises a longer body than it sends, then drops the connection. */
function cutBody(res: ServerResponse): void {
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
  res.write('{"id":"cut","object":');
  setTimeout(() => res.socket?.destroy(), 20);
}

/** Gives the written chunks a moment to reach the client, then kills the socket mid-stream. */
export function cutSocket(res: ServerResponse): void {
  setTimeout(() => res.socket?.destroy(), 30);
}

export function splitParts(text: string, parts: number): string[] {
  const n = Math.max(1, Math.min(parts, text.length));
  const size = Math.ceil(text.length / n);
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

export function words(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Deterministic prompt size: words of every message plus 3 per message, so tests can predict it. */
export function defaultUsage(body: any, chunks: string[]): UsageSpec {
  const msgs: { content?: unknown }[] = Array.isArray(body?.messages) ? body.messages : [];
  let prompt = typeof body?.system === 'string' ? words(body.system) : 0;
  for (const m of msgs) prompt += 3 + words(typeof m.content === 'string' ? m.content : JSON.stringify(m.content ?? ''));
  return { prompt_tokens: prompt, completion_tokens: chunks.length };
}

function fakeEmbedding(text: string, dim: number): number[] {
  const v = new Array<number>(dim).fill(0);
  for (let i = 0; i < text.length; i++) v[i % dim]! += (text.charCodeAt(i) % 31) / 31;
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
