/**
 * A loopback server (127.0.0.1, ephemeral port) that speaks the Anthropic Messages API: SSE with
 * `event: message_start` (usage.input_tokens), `content_block_start`, `ping`, `content_block_delta`
 * (text_delta, or input_json_delta for tool_use), `content_block_stop`, `message_delta` (stop_reason,
 * usage.output_tokens), `message_stop`; errors as `{"type":"error","error":{"type","message"}}`.
 * `baseUrl` has no /v1: the Anthropic SDK appends `/v1/messages` itself.
 */
import type { ServerResponse } from 'node:http';
import {
  cutSocket, defaultUsage, openSse, sendGeneric, sendJson, sleep, splitParts, startLoopback,
  type LoopbackServer, type RecordedRequest, type ScriptedReply,
} from './openai-server.js';

export type { LoopbackServer, RecordedRequest, ScriptedReply } from './openai-server.js';

export interface AnthropicServerOptions {
  defaultReply?: ScriptedReply;
  models?: string[];
  /** When set, requests without `x-api-key: <apiKey>` (or `Authorization: Bearer <apiKey>`, as SDK 1.x sends) get a 401. */
  apiKey?: string;
}

const DEFAULT_TEXT: ScriptedReply = { kind: 'text', chunks: ['Once upon a time', ', a fox', ' ran home.'] };

export async function startAnthropicServer(opts: AnthropicServerOptions = {}): Promise<LoopbackServer> {
  let defaultReply = opts.defaultReply ?? DEFAULT_TEXT;
  const server = await startLoopback(
    (p) => (p === '/v1/messages' ? 'messages' : p === '/v1/models' ? 'models' : null),
    async (req, res, route, next) => {
      if (opts.apiKey && req.headers['x-api-key'] !== opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
        return sendAnthropicError(res, { kind: 'error', status: 401, type: 'authentication_error', message: 'invalid x-api-key' });
      }
      if (route === null) return sendAnthropicError(res, { kind: 'error', status: 404, type: 'not_found_error', message: `Not Found` });
      const scripted = next();
      if (route === 'models') {
        if (scripted) return sendGeneric(res, scripted, sendAnthropicError);
        const data = (opts.models ?? ['claude-haiku-4-5-20251001']).map((id) => ({ type: 'model', id, display_name: id, created_at: '2025-10-01T00:00:00Z' }));
        return sendJson(res, 200, { data, has_more: false, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null });
      }
      return sendMessages(req, res, scripted ?? defaultReply);
    },
  );
  return {
    ...server,
    baseUrl: `http://127.0.0.1:${server.port}`,
    script: (...r) => server.queue('messages', r),
    scriptRoute: (route, ...r) => server.queue(route, r),
    setDefault: (r) => { defaultReply = r; },
    pending: () => server.pending('messages'),
  };
}

async function sendMessages(req: RecordedRequest, res: ServerResponse, reply: ScriptedReply): Promise<void> {
  const model = String(req.body?.model ?? 'claude-test');
  const stream = req.body?.stream === true;
  const id = `msg_loop${Math.random().toString(36).slice(2, 12)}`;
  if (reply.kind === 'error' || reply.kind === 'hang') return sendGeneric(res, reply, sendAnthropicError);
  if (reply.kind === 'malformed') {
    if (!stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(`{"id":"${id}","type":"message","content":[{"type":"te`);
    }
    openSse(res);
    res.write(`event: message_start\ndata: {"type":"message_start","message":{"id":\n\n`);
    return void res.end();
  }
  const tool = reply.kind === 'json' ? forcedTool(req.body) : null;
  const chunks = reply.kind === 'json' ? splitParts(JSON.stringify(reply.value), reply.parts ?? 3) : reply.chunks;
  const delayMs = reply.kind === 'text' || reply.kind === 'json' || reply.kind === 'cut' ? reply.delayMs ?? 0 : 0;
  const u = (reply.kind === 'text' || reply.kind === 'json') && reply.usage ? reply.usage : defaultUsage(req.body, chunks);
  const stopReason = tool ? 'tool_use' : reply.kind === 'text' ? reply.finishReason ?? 'end_turn' : 'end_turn';
  const toolId = `toolu_loop${Math.random().toString(36).slice(2, 10)}`;
  const usageStart = { input_tokens: u.prompt_tokens, cache_creation_input_tokens: 0, cache_read_input_tokens: u.cached_tokens ?? 0, output_tokens: 1, service_tier: 'standard' };
  if (!stream) {
    if (reply.kind === 'cut' || reply.kind === 'stream-error') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '4096' });
      res.write('{"id":"cut",');
      return cutSocket(res);
    }
    const block = tool
      ? { type: 'tool_use', id: toolId, name: tool, input: (reply as { value: unknown }).value }
      : { type: 'text', text: chunks.join('') };
    return sendJson(res, 200, {
      id, type: 'message', role: 'assistant', model, content: [block], stop_reason: stopReason, stop_sequence: null,
      usage: { ...usageStart, output_tokens: u.completion_tokens },
    }, { 'request-id': 'req_loopback' });
  }
  const ev = (type: string, data: unknown) => res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
  openSse(res);
  ev('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model, content: [], stop_reason: null, stop_sequence: null, usage: usageStart } });
  ev('content_block_start', { type: 'content_block_start', index: 0, content_block: tool ? { type: 'tool_use', id: toolId, name: tool, input: {} } : { type: 'text', text: '' } });
  ev('ping', { type: 'ping' });
  for (const piece of chunks) {
    if (delayMs) await sleep(delayMs);
    if (res.destroyed) return;
    ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: tool ? { type: 'input_json_delta', partial_json: piece } : { type: 'text_delta', text: piece } });
  }
  if (reply.kind === 'cut') return cutSocket(res);
  if (reply.kind === 'stream-error') {
    ev('error', { type: 'error', error: { type: reply.type ?? 'overloaded_error', message: reply.message ?? 'Overloaded' } });
    return void res.end();
  }
  ev('content_block_stop', { type: 'content_block_stop', index: 0 });
  ev('message_delta', { type: 'message_delta', delta: { stop_reason: stopReason, stop_sequence: null }, usage: { output_tokens: u.completion_tokens } });
  ev('message_stop', { type: 'message_stop' });
  res.end();
}

/** The tool name when the request forces one (tool_choice {type:'tool'}) or offers exactly one. */
function forcedTool(body: any): string | null {
  if (body?.tool_choice?.type === 'tool') return String(body.tool_choice.name);
  if (Array.isArray(body?.tools) && body.tools.length === 1) return String(body.tools[0].name);
  return null;
}

export function sendAnthropicError(res: ServerResponse, r: Extract<ScriptedReply, { kind: 'error' }>): void {
  const defaults: Record<number, [string, string]> = {
    400: ['invalid_request_error', 'Invalid request'],
    401: ['authentication_error', 'invalid x-api-key'],
    403: ['permission_error', 'Your API key does not have permission to use the specified resource.'],
    404: ['not_found_error', 'The requested resource could not be found.'],
    413: ['request_too_large', 'Request exceeds the maximum allowed number of bytes.'],
    429: ['rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit'],
    500: ['api_error', 'An unexpected error has occurred internal to Anthropic\'s systems.'],
    529: ['overloaded_error', 'Overloaded'],
  };
  const [type, message] = defaults[r.status] ?? [r.status >= 500 ? 'api_error' : 'invalid_request_error', `HTTP ${r.status}`];
  const headers: Record<string, string> = { 'content-type': 'application/json', 'request-id': 'req_loopback' };
  if (r.retryAfter !== undefined) headers['retry-after'] = String(r.retryAfter);
  if (r.retryAfterMs !== undefined) headers['retry-after-ms'] = String(r.retryAfterMs);
  sendJson(res, r.status, { type: 'error', error: { type: r.type ?? type, message: r.message ?? message } }, headers);
}
