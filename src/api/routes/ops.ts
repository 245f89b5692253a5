import type { FastifyInstance } from 'fastify';
import { redactSecrets } from '../../errors.js';
import type { EndpointStatus } from '../../models/health.js';
import { DOCS_CSP, DOCS_HTML } from '../docs-page.js';
import type { ApiContext } from '../server.js';

const hidden = { hide: true } as const;

/** Unauthenticated operations routes: liveness, readiness, Prometheus metrics, the OpenAPI document and its /docs page. */
export function registerOpsRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // Load balancers poll often: the models are probed at most every 10 s, through the registry turns use.
  let probed: { at: number; result: Promise<Record<string, EndpointStatus>> } | null = null;
  const modelHealth = () => {
    if (!probed || Date.now() - probed.at > 10_000) probed = { at: Date.now(), result: ctx.session.ping(AbortSignal.timeout(3000)).catch(() => ({})) };
    return probed.result;
  };
  app.get('/healthz', { schema: { ...hidden } }, async () => ({ ok: true }));
  app.get('/readyz', { schema: { ...hidden } }, async (_req, reply) => {
    if (ctx.runner.closing) return reply.status(503).send({ ok: false, error: { code: 'shutting_down', message: 'the server is shutting down', hint: 'send work to another instance' } });
    try {
      const s = await ctx.store.migrationStatus();
      if (s.current !== s.latest) return reply.status(503).send({ ok: false, error: { code: 'migrations_pending', message: `schema at ${s.current}, code expects ${s.latest}`, hint: 'luna migrate up' } });
      const models = await modelHealth();
      const down = Object.entries(models).filter(([, m]) => !m.ok);
      if (down.length) {
        return reply.status(503).send({ ok: false, models, error: { code: 'models_unreachable', message: `models not answering: ${down.map(([n, m]) => `${n} (${m.detail})`).join('; ')}`, hint: 'luna models list shows each model and its endpoint' } });
      }
      return { ok: true, schema: s.current, inFlight: ctx.runner.inFlight, models };
    } catch (err) {
      return reply.status(503).send({ ok: false, error: { code: 'store_unreachable', message: redactSecrets((err as Error).message), hint: 'check database.url and that the database is up' } });
    }
  });
  app.get('/metrics', { schema: { ...hidden } }, async (_req, reply) => {
    reply.header('content-type', ctx.metrics.registry.contentType);
    return ctx.metrics.registry.metrics();
  });
  app.get('/openapi.json', { schema: { ...hidden } }, async () => app.swagger());
  app.get('/docs', { schema: { ...hidden } }, async (_req, reply) => {
    reply.header('content-type', 'text/html; charset=utf-8').header('content-security-policy', DOCS_CSP).header('x-content-type-options', 'nosniff');
    return DOCS_HTML;
  });
}
