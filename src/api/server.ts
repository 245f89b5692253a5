import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { LoadedConfig } from '../config/load.js';
import { redactSecrets } from '../errors.js';
import type { Session } from '../runtime/session.js';
import type { Store } from '../store/types.js';
import { createAuth } from './auth.js';
import { mapError } from './errors.js';
import { createApiMetrics, type ApiMetrics } from './metrics.js';
import { createTurnRunner, type TurnRunner } from './turn-runner.js';

export interface ApiOptions {
  /** Turns admitted at once by this process (running or waiting for a slot); more get 503 + Retry-After. */
  maxInFlight?: number;
  /** Turns that run on the models at once; the others wait, highest tier priority first. */
  maxConcurrent?: number;
  /** Requests per key (or per client address without a key) per `rateWindowMs`. */
  rateLimit?: number;
  rateWindowMs?: number;
  /** Largest request body, bytes. */
  bodyLimit?: number;
  /** false: leave Dreamer jobs to `luna dream` workers. */
  dream?: boolean;
  /** Fastify's pino logger options (false in tests that do not read logs). */
  logger?: FastifyServerOptions['logger'];
}

export interface ApiDeps {
  store: Store;
  loaded: LoadedConfig;
  session: Session;
  options?: ApiOptions;
}

/** What each route file gets. */
export interface ApiContext {
  store: Store;
  session: Session;
  loaded: LoadedConfig;
  runner: TurnRunner;
  metrics: ApiMetrics;
  auth: ReturnType<typeof createAuth>;
}

export interface ApiApp {
  app: FastifyInstance;
  ctx: ApiContext;
  /** Graceful stop: refuse new work, let turns finish within deadlineMs, cancel the rest, close the server. */
  shutdown(deadlineMs?: number): Promise<void>;
}

export const API_DEFAULTS = { maxInFlight: 32, maxConcurrent: 32, rateLimit: 600, rateWindowMs: 60_000, bodyLimit: 256 * 1024 } as const;

/**
 * Builds the `luna api` app from injected dependencies (tests start it on port 0). Stateless: every piece of
 * story state lives in the store, so any number of processes can serve one PostgreSQL database.
 */
export async function buildApiApp(deps: ApiDeps): Promise<ApiApp> {
  const opt = { ...API_DEFAULTS, dream: true, ...deps.options };
  const app = Fastify({
    logger: opt.logger ?? false,
    bodyLimit: opt.bodyLimit,
    requestIdHeader: 'x-request-id',
    // Unknown fields are refused with their path rather than silently dropped, and a number is not a string:
    // no coercion (query numbers are parsed by the routes).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: true, allErrors: false } },
    forceCloseConnections: true,
  });
  const metrics = createApiMetrics();
  const auth = createAuth(deps.store);
  const runner = createTurnRunner({ session: deps.session, loaded: deps.loaded, store: deps.store, metrics, maxInFlight: opt.maxInFlight, maxConcurrent: Math.min(opt.maxConcurrent, opt.maxInFlight), dream: opt.dream, onWarning: (m) => app.log.warn(redactSecrets(m)) });
  const ctx: ApiContext = { store: deps.store, session: deps.session, loaded: deps.loaded, runner, metrics, auth };

  app.decorateRequest('caller', null);
  (await import('./tracing.js')).registerTracing(app, deps.session.telemetry);
  app.addHook('onSend', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
  app.setErrorHandler((err, req, reply) => {
    const m = mapError(err);
    // One line, no stack, redacted: the code and status say what happened, the request id ties it to the client.
    if (m.status >= 500) req.log.error({ status: m.status, code: m.body.error.code, err: { type: (err as Error).name, message: redactSecrets(String((err as Error).message ?? err)) } }, 'request failed');
    else req.log.info({ status: m.status, code: m.body.error.code }, m.body.error.message);
    if (m.retryAfterSec !== undefined) reply.header('retry-after', String(m.retryAfterSec));
    return reply.status(m.status).send(m.body);
  });
  app.setNotFoundHandler((req, reply) => reply.status(404).send({ error: { code: 'not_found', message: `no route ${req.method} ${req.url.split('?')[0]}`, hint: 'GET /openapi.json lists the routes' } }));

  const { default: swagger } = await import('@fastify/swagger');
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'LUNA API', version: '1', description: 'Stories, turns (SSE), lore, cost and an OpenAI-compatible facade. See docs/api.md.' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API key from `luna account keys create`' } } },
      security: [{ bearer: [] }],
    },
  });
  const { registerRateLimit } = await import('./rate-limit.js');
  await registerRateLimit(app, ctx, { max: opt.rateLimit, timeWindow: opt.rateWindowMs });

  const [ops, stories, turns, memory, account, facade, lore, cards, memoryEdit, steer, images] = await Promise.all([
    import('./routes/ops.js'),
    import('./routes/stories.js'),
    import('./routes/turns.js'),
    import('./routes/memory.js'),
    import('./routes/account.js'),
    import('./openai-facade.js'),
    import('./routes/lore.js'),
    import('./routes/cards.js'),
    import('./routes/memory-edit.js'),
    import('./routes/steer.js'),
    import('./routes/images.js'),
  ]);
  await app.register(async (open) => ops.registerOpsRoutes(open, ctx));
  await app.register(async (v1) => {
    v1.addHook('onRequest', async (req) => {
      req.caller = await auth.authenticate(req);
    });
    stories.registerStoryRoutes(v1, ctx);
    turns.registerTurnRoutes(v1, ctx);
    steer.registerSteerRoutes(v1, ctx);
    memory.registerMemoryRoutes(v1, ctx);
    lore.registerLoreRoutes(v1, ctx);
    memoryEdit.registerMemoryEditRoutes(v1, ctx);
    cards.registerCardRoutes(v1, ctx);
    images.registerImageRoutes(v1, ctx);
    account.registerAccountRoutes(v1, ctx);
    facade.registerOpenAiFacade(v1, ctx);
  });

  let stopping: Promise<void> | null = null;
  return {
    app,
    ctx,
    shutdown(deadlineMs = 10_000) {
      stopping ??= (async () => {
        await runner.shutdown(deadlineMs);
        await app.close();
        auth.close();
      })();
      return stopping;
    },
  };
}
