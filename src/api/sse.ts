import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ApiMetrics } from './metrics.js';

const HEARTBEAT_MS = 15_000;

/** True when the client asked for a stream (`Accept: text/event-stream`). */
export function wantsStream(req: FastifyRequest): boolean {
  return /text\/event-stream/i.test(req.headers.accept ?? '');
}

/** An AbortSignal that fires when the client goes away before the response is finished. */
export function disconnectSignal(reply: FastifyReply): AbortSignal {
  const ctrl = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) ctrl.abort();
  });
  return ctrl.signal;
}

/**
 * A raw SSE response: `id:` (a counter per stream), `event:`, one JSON `data:` line per event.
 * The reply is hijacked, so Fastify sends nothing else on it.
 */
export function openSse(req: FastifyRequest, reply: FastifyReply, metrics: ApiMetrics, extraHeaders: Record<string, string> = {}) {
  reply.hijack();
  reply.raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': String(req.id),
    ...extraHeaders,
  });
  metrics.sseConnections.inc();
  let closed = false;
  // A comment line now and then keeps proxies from cutting a stream while a model thinks without output.
  const heartbeat = setInterval(() => {
    if (!reply.raw.destroyed && !reply.raw.writableEnded) reply.raw.write(': keep-alive\n\n');
  }, HEARTBEAT_MS);
  heartbeat.unref();
  reply.raw.once('close', () => {
    clearInterval(heartbeat);
    if (!closed) metrics.sseConnections.dec();
    closed = true;
  });
  let id = 0;
  return {
    event(type: string, data: unknown): void {
      if (reply.raw.destroyed || reply.raw.writableEnded) return;
      reply.raw.write(`id: ${++id}\nevent: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    /** A bare `data:` line (the OpenAI facade's framing). */
    data(payload: string): void {
      if (reply.raw.destroyed || reply.raw.writableEnded) return;
      reply.raw.write(`data: ${payload}\n\n`);
    },
    end(): void {
      clearInterval(heartbeat);
      if (!reply.raw.writableEnded) reply.raw.end();
    },
  };
}
