import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Span } from '../telemetry/span.js';
import type { Telemetry } from '../telemetry/noop.js';
import { parseTraceparent } from '../telemetry/trace-context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's server span when tracing is on; a turn it runs is its child. */
    traceSpan: Span | null;
  }
}

/**
 * A server span per /v1 request (health checks and /metrics scrapes stay out of traces), joined to the caller's
 * trace when it sends a valid `traceparent` (W3C Trace Context; an invalid one starts a new trace, as the spec
 * says). The span ends when the response does, hijacked SSE streams included, so a streamed turn sits inside it.
 */
export function registerTracing(app: FastifyInstance, telemetry: Telemetry): void {
  app.decorateRequest('traceSpan', null);
  if (!telemetry.enabled) return;
  app.addHook('onRequest', async (req, reply) => {
    const path = req.url.split('?')[0]!;
    if (!path.startsWith('/v1/')) return;
    const route = req.routeOptions.url;
    const span = telemetry.startSpan(route ? `${req.method} ${route}` : req.method, {
      kind: 'server',
      parent: parseTraceparent(req.headers.traceparent, req.headers.tracestate),
      attributes: { 'http.request.method': req.method, 'http.route': route, 'url.path': path, 'luna.request.id': String(req.id) },
    });
    if (!span) return;
    req.traceSpan = span;
    reply.raw.once('close', () => {
      const status = reply.raw.statusCode;
      span.set({ 'http.response.status_code': status, 'luna.account.id': callerAccount(req) });
      if (status >= 500) span.fail(`HTTP ${status}`);
      if (!reply.raw.writableFinished) span.set({ 'luna.request.aborted': true });
      span.end();
    });
  });
}

function callerAccount(req: FastifyRequest): string | undefined {
  return req.caller?.accountId;
}
