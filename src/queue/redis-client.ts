import { ConfigError, DatabaseError, redactSecrets } from '../errors.js';
import type { RedisQueueSettings } from './redis-url.js';

/** The slice of an ioredis client this module touches; BullMQ takes the instance itself. */
export interface RedisClient {
  ping(): Promise<string>;
  quit(): Promise<unknown>;
  disconnect(): void;
  on(event: string, fn: (...args: unknown[]) => void): unknown;
}
type RedisCtor = new (opts: Record<string, unknown>) => RedisClient;

const CONNECT_TIMEOUT_MS = 5000;

/**
 * BullMQ 6 no longer bundles a Redis driver, and its ESM build cannot `require` one by itself, so the ioredis
 * client is constructed here and handed over. Loaded by name at run time so that `queue: store` installs
 * never need it.
 */
export async function connectRedis(settings: RedisQueueSettings): Promise<RedisClient> {
  const specifier = 'ioredis';
  let Redis: RedisCtor;
  try {
    const mod = (await import(specifier)) as { default?: RedisCtor };
    Redis = (mod.default ?? mod) as RedisCtor;
  } catch {
    throw new ConfigError('queue: a redis:// queue needs the ioredis package, which is not installed', {
      hint: 'npm install ioredis (BullMQ 6 leaves the Redis driver to the application), or use queue: store',
    });
  }
  // maxRetriesPerRequest null: BullMQ's blocking commands must wait through reconnects instead of failing.
  const client = new Redis({ ...settings.connection, maxRetriesPerRequest: null, lazyConnect: false });
  let lastError = '';
  client.on('error', (err) => { lastError = redactSecrets((err as Error).message ?? String(err)); });
  try {
    await withTimeout(client.ping(), CONNECT_TIMEOUT_MS);
  } catch (err) {
    client.disconnect();
    throw new DatabaseError(`cannot reach the redis queue at ${settings.display}: ${lastError || redactSecrets((err as Error).message)}`, {
      hint: 'is redis running? check `queue:` in luna.yaml or LUNA_QUEUE',
    });
  }
  return client;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(t)),
    new Promise<T>((_, reject) => { t = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms); }),
  ]);
}
