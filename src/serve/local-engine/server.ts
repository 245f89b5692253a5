import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { ChatMessage, GenerateRequest } from '../../models/types.js';
import type { SlotPool } from './pool.js';

export interface EngineServerOptions {
  names: string[];
  pool: SlotPool;
  isReady: () => boolean;
  loadError: () => string | null;
}

interface ChatBody {
  model?: string;
  messages?: Array<{ role?: string; content?: unknown }>;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  stop?: string | string[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  response_format?: { type?: string; json_schema?: { name?: string; schema?: Record<string, unknown> } };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Errors in OpenAI's shape, so SDK clients raise their usual typed errors. */
function apiError(res: http.ServerResponse, status: number, message: string, type: string, code: string | null = null): void {
  sendJson(res, status, { error: { message, type, param: null, code } });
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p === 'object' && p && 'text' in p ? String((p as { text: unknown }).text) : '')).join('');
  return '';
}

export function toGenerateRequest(body: ChatBody, signal: AbortSignal): GenerateRequest {
  const system = (body.messages ?? []).filter((m) => m.role === 'system' || m.role === 'developer').map((m) => textOf(m.content)).join('\n\n');
  const messages: ChatMessage[] = (body.messages ?? [])
    .filter((m) => m.role === 'user' || m.role === 'assistant')
    .map((m) => ({ role: m.role as 'user' | 'assistant', content: textOf(m.content) }));
  const schema = body.response_format?.type === 'json_schema' ? body.response_format.json_schema?.schema : undefined;
  return {
    system: system || undefined,
    messages,
    maxTokens: body.max_completion_tokens ?? body.max_tokens,
    temperature: body.temperature,
    stop: typeof body.stop === 'string' ? [body.stop] : body.stop,
    json: schema ? { name: body.response_format?.json_schema?.name ?? 'reply', schema } : undefined,
    signal,
  };
}

async function readBody(req: http.IncomingMessage): Promise<string> {
  let body = '';
  for await (const chunk of req) body += chunk;
  return body;
}

export function createEngineServer(o: EngineServerOptions): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'GET /health') {
      // llama.cpp semantics: 503 while the model loads, 200 once requests can be served
      if (o.isReady()) return sendJson(res, 200, { status: 'ok' });
      const err = o.loadError();
      return sendJson(res, err ? 500 : 503, { error: { code: err ? 500 : 503, message: err ?? 'Loading model', type: err ? 'server_error' : 'unavailable_error' } });
    }
    if (route === 'GET /metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(o.pool.metrics());
    }
    if (route === 'GET /v1/models') {
      return sendJson(res, 200, { object: 'list', data: o.names.map((id) => ({ id, object: 'model', created: 0, owned_by: 'luna' })) });
    }
    if (route === 'POST /v1/chat/completions') {
      void chat(o, req, res).catch((err: unknown) => {
        if (!res.headersSent) apiError(res, 500, err instanceof Error ? err.message : String(err), 'server_error');
        else res.end();
      });
      return;
    }
    apiError(res, 404, `no route ${route}`, 'not_found_error');
  });
}

async function chat(o: EngineServerOptions, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  let body: ChatBody;
  try {
    body = JSON.parse(await readBody(req)) as ChatBody;
  } catch {
    return apiError(res, 400, 'request body is not valid JSON', 'invalid_request_error');
  }
  if (!o.isReady()) return apiError(res, 503, 'Loading model', 'unavailable_error');
  if (!body.model || !o.names.includes(body.model)) return apiError(res, 404, `The model \`${body.model ?? ''}\` does not exist.`, 'invalid_request_error', 'model_not_found');
  if (!Array.isArray(body.messages) || body.messages.length === 0) return apiError(res, 400, 'messages must be a non-empty array', 'invalid_request_error');
  const abort = new AbortController();
  res.on('close', () => { if (!res.writableFinished) abort.abort(); });
  const id = `chatcmpl-${randomUUID().replaceAll('-', '')}`;
  const created = Math.floor(Date.now() / 1000);
  const model = body.model;
  const stream = o.pool.stream(toGenerateRequest(body, abort.signal));

  if (!body.stream) {
    let text = '';
    for await (const c of stream) {
      if (c.type === 'text') text += c.text;
      else {
        return sendJson(res, 200, {
          id, object: 'chat.completion', created, model,
          choices: [{ index: 0, message: { role: 'assistant', content: text, refusal: null }, logprobs: null, finish_reason: c.finishReason ?? 'stop' }],
          usage: { prompt_tokens: c.usage.inputTokens, completion_tokens: c.usage.outputTokens, total_tokens: c.usage.inputTokens + c.usage.outputTokens },
        });
      }
    }
    return;
  }
  const withUsage = Boolean(body.stream_options?.include_usage);
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const send = (choices: unknown[], usage?: unknown) => {
    res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: null, choices, ...(withUsage ? { usage: usage ?? null } : {}) })}\n\n`);
  };
  send([{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }]);
  for await (const c of stream) {
    if (c.type === 'text') send([{ index: 0, delta: { content: c.text }, logprobs: null, finish_reason: null }]);
    else {
      send([{ index: 0, delta: {}, logprobs: null, finish_reason: c.finishReason ?? 'stop' }]);
      if (withUsage) send([], { prompt_tokens: c.usage.inputTokens, completion_tokens: c.usage.outputTokens, total_tokens: c.usage.inputTokens + c.usage.outputTokens });
    }
  }
  res.end('data: [DONE]\n\n');
}
