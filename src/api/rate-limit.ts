import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { HttpError } from './errors.js';
import type { ApiContext } from './server.js';

/**
 * Per-key rate limit (@fastify/rate-limit). Counters live in memory, or in Redis when `queue: redis://…` is
 * configured so every process of a deployment shares them. Keys are counted by their sha256, never the secret.
 */
export async function registerRateLimit(app: FastifyInstance, ctx: ApiContext, opts: { max: number; timeWindow: number }): Promise<void> {
  const { default: rateLimit } = await import('@fastify/rate-limit');
  const queue = ctx.loaded.config.queue;
  let redis: unknown;
  if (queue && /^rediss?:\/\//i.test(queue)) {
    const { parseRedisQueue } = await import('../queue/redis-url.js');
    const { connectRedis } = await import('../queue/redis-client.js');
    const client = await connectRedis(parseRedisQueue(queue));
    redis = client;
    app.addHook('onClose', async () => {
      await client.quit().catch(() => client.disconnect());
    });
  }
  await app.register(rateLimit, {
    global: true,
    max: opts.max,
    timeWindow: opts.timeWindow,
    ...(redis ? { redis: redis as never, nameSpace: 'luna-api-rl:', skipOnError: true } : {}),
    allowList: (req) => !req.url.startsWith('/v1/'),
    keyGenerator: (req) => {
      const auth = req.headers.authorization;
      return typeof auth === 'string' && auth ? `k:${createHash('sha256').update(auth.trim()).digest('hex').slice(0, 32)}` : `ip:${req.ip}`;
    },
    onExceeded: () => ctx.metrics.rateLimited.inc(),
    errorResponseBuilder: (_req, c) => {
      const sec = Math.max(1, Math.ceil(c.ttl / 1000));
      return new HttpError(429, 'rate_limited', `rate limit: ${c.max} requests per ${c.after}`, `retry after ${sec}s`, sec);
    },
  });
}
