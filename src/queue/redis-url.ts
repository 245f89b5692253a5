import { ConfigError, redactSecrets } from '../errors.js';

/**
 * `queue: redis://[user:password@]host[:port][/db][?name=…&prefix=…&lockMs=…&backoffMs=…&concurrency=…]`
 * The query carries BullMQ settings so one string configures a worker fleet (and each test gets its own queue).
 */
export interface RedisQueueSettings {
  connection: { host: string; port: number; db: number; username?: string; password?: string; tls?: Record<string, never> };
  /** BullMQ queue name. */
  name: string;
  /** Redis key prefix (BullMQ `prefix`). */
  prefix: string;
  /** Worker lock; a killed worker's job is taken over once it expires (also the stalled-check interval). */
  lockMs: number;
  /** First retry delay; BullMQ doubles it per attempt (exponential backoff). */
  backoffMs: number;
  concurrency: number;
  /** Finished jobs stay in Redis this long so a second publish of the same id stays a no-op. */
  keepMs: number;
  /** The URL with any password masked, for messages. */
  display: string;
}

const DEFAULTS = { name: 'luna-dreamer', prefix: 'luna', lockMs: 30_000, backoffMs: 2000, concurrency: 1, keepMs: 7 * 24 * 3600_000 };
const KNOWN = new Set(['name', 'prefix', 'lockMs', 'backoffMs', 'concurrency', 'keepMs']);

export function isRedisQueue(queue: string): boolean {
  return /^rediss?:\/\//i.test(queue);
}

export function parseRedisQueue(queue: string): RedisQueueSettings {
  let url: URL;
  try {
    url = new URL(queue);
  } catch {
    throw new ConfigError(`queue: expected "store" or a redis:// URL, found "${redactSecrets(queue)}"`);
  }
  const display = redactSecrets(queue.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1…@'));
  const bad = (key: string, expected: string) => new ConfigError(`queue: ${key} expects ${expected} (in ${display})`);
  for (const key of url.searchParams.keys()) {
    if (!KNOWN.has(key)) throw new ConfigError(`queue: unknown option "${key}" in ${display}`, { hint: `known options: ${[...KNOWN].join(', ')}` });
  }
  const int = (key: keyof typeof DEFAULTS & string, min: number): number => {
    const raw = url.searchParams.get(key);
    if (raw === null) return DEFAULTS[key] as number;
    const v = Number(raw);
    if (!Number.isInteger(v) || v < min) throw bad(key, `a whole number ≥ ${min}, found "${raw}"`);
    return v;
  };
  const text = (key: 'name' | 'prefix'): string => {
    const v = url.searchParams.get(key) ?? DEFAULTS[key];
    if (!/^[A-Za-z0-9._-]+$/.test(v)) throw bad(key, `letters, digits, dot, dash or underscore, found "${v}"`);
    return v;
  };
  const dbText = url.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0) throw bad('the database number (path)', `a whole number, found "${dbText}"`);
  return {
    connection: {
      host: url.hostname.replace(/^\[|\]$/g, '') || '127.0.0.1',
      port: url.port ? Number(url.port) : 6379,
      db,
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
    },
    name: text('name'),
    prefix: text('prefix'),
    lockMs: int('lockMs', 500),
    backoffMs: int('backoffMs', 0),
    concurrency: int('concurrency', 1),
    keepMs: int('keepMs', 60_000),
    display,
  };
}
