/**
 * A loopback stand-in for what a burst instance runs: vLLM's OpenAI-compatible server. Like vLLM with
 * `--api-key`/VLLM_API_KEY it guards /v1/* with Bearer auth and leaves /health and /metrics open;
 * /health answers 503 until the "model" has loaded. /metrics exposes vLLM's request gauges.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakeVllm {
  port: number;
  baseUrl: string;
  apiKey: string;
  model: string;
  /** Requests currently being answered (drives vllm:num_requests_running). */
  running: number;
  completions: number;
  /** Each chat completion waits this long before answering (to observe draining). */
  replyDelayMs: number;
  /** A cloud firewall in front of the port: connections it refuses are dropped unanswered. */
  gate: ((remoteAddress: string) => boolean) | null;
  setReady(ready: boolean): void;
  close(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = '';
    req.on('data', (c: Buffer) => { s += c.toString(); });
    req.on('end', () => resolve(s));
    req.on('error', reject);
  });
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

export async function startFakeVllm(opts: { apiKey: string; model: string; readyAfterMs?: number; replyDelayMs?: number }): Promise<FakeVllm> {
  let ready = false;
  let timer: NodeJS.Timeout | null = null;
  const state = { running: 0, completions: 0, replyDelayMs: opts.replyDelayMs ?? 0, apiKey: opts.apiKey, gate: null as FakeVllm['gate'] };
  const server: Server = createServer(async (req, res) => {
    if (state.gate && !state.gate(req.socket.remoteAddress ?? '')) { req.socket.destroy(); return; }
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/health') {
      res.writeHead(ready ? 200 : 503);
      return res.end();
    }
    if (url.pathname === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      return res.end(
        [
          '# HELP vllm:num_requests_running Number of requests currently running on GPU.',
          '# TYPE vllm:num_requests_running gauge',
          `vllm:num_requests_running{model_name="${opts.model}"} ${state.running}`,
          '# HELP vllm:num_requests_waiting Number of requests waiting to be processed.',
          '# TYPE vllm:num_requests_waiting gauge',
          `vllm:num_requests_waiting{model_name="${opts.model}"} 0`,
          '',
        ].join('\n'),
      );
    }
    if (!url.pathname.startsWith('/v1/')) return json(res, 404, { detail: 'Not Found' });
    if (req.headers.authorization !== `Bearer ${state.apiKey}`) return json(res, 401, { error: 'Unauthorized' });
    if (!ready) return json(res, 503, { error: 'model is loading' });
    if (url.pathname === '/v1/models' && req.method === 'GET') {
      return json(res, 200, { object: 'list', data: [{ id: opts.model, object: 'model', created: 1700000000, owned_by: 'vllm', root: opts.model, parent: null, max_model_len: 4096 }] });
    }
    if (url.pathname === '/v1/chat/completions' && req.method === 'POST') {
      const body = JSON.parse(await readBody(req)) as { model?: string; messages?: { content: string }[]; stream?: boolean };
      if (body.model !== opts.model) {
        return json(res, 404, { object: 'error', message: `The model \`${body.model}\` does not exist.`, type: 'NotFoundError', param: null, code: 404 });
      }
      state.running++;
      try {
        if (state.replyDelayMs) await new Promise((r) => setTimeout(r, state.replyDelayMs));
        const last = body.messages?.at(-1)?.content ?? '';
        const text = `burst reply to: ${last}`;
        const id = `chatcmpl-${state.completions}`;
        state.completions++;
        if (body.stream) {
          res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
          for (const piece of [text.slice(0, 6), text.slice(6)]) {
            res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1700000000, model: opts.model, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] })}\n\n`);
          }
          res.write(`data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created: 1700000000, model: opts.model, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 } })}\n\n`);
          res.end('data: [DONE]\n\n');
          return;
        }
        return json(res, 200, {
          id, object: 'chat.completion', created: 1700000000, model: opts.model,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 },
        });
      } finally {
        state.running--;
      }
    }
    return json(res, 404, { detail: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const fake: FakeVllm = {
    port,
    baseUrl: `http://127.0.0.1:${port}/v1`,
    get apiKey() { return state.apiKey; },
    set apiKey(v) { state.apiKey = v; },
    model: opts.model,
    get running() { return state.running; },
    set running(v) { state.running = v; },
    get completions() { return state.completions; },
    set completions(v) { state.completions = v; },
    get replyDelayMs() { return state.replyDelayMs; },
    get gate() { return state.gate; },
    set gate(g) { state.gate = g; },
    set replyDelayMs(v) { state.replyDelayMs = v; },
    setReady(r) { ready = r; },
    close: () => new Promise<void>((resolve) => {
      if (timer) clearTimeout(timer);
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
  if (opts.readyAfterMs === undefined || opts.readyAfterMs <= 0) ready = true;
  else timer = setTimeout(() => { ready = true; }, opts.readyAfterMs);
  return fake;
}
