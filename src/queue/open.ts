import { ConfigError, redactSecrets } from '../errors.js';
import type { QueueStore } from '../store/types.js';
import { isRedisQueue, parseRedisQueue } from './redis-url.js';
import { StoreJobQueue } from './store-queue.js';
import type { JobQueue } from './types.js';

/**
 * The queue named by config `queue:` (env LUNA_QUEUE): `store` or `redis://…`.
 * BullMQ and the Redis driver load only when a redis queue is configured.
 */
export async function openJobQueue(queue: string | undefined, store: QueueStore): Promise<JobQueue> {
  const q = (queue ?? 'store').trim();
  if (q === '' || q === 'store') return new StoreJobQueue(store);
  if (isRedisQueue(q)) {
    const settings = parseRedisQueue(q);
    const { BullJobQueue } = await import('./bullmq.js');
    return BullJobQueue.open(store, settings);
  }
  throw new ConfigError(`queue: expected "store" or a redis:// URL, found "${redactSecrets(q)}"`, {
    hint: 'e.g. queue: redis://127.0.0.1:6379',
  });
}

/**
 * Hands a freshly committed turn's jobs to the queue right away (a no-op for `store`), so remote workers need
 * not wait for their own relay tick. Front ends call it after a turn commits; failures only delay the jobs.
 */
export async function relayAfterCommit(queue: string | undefined, store: QueueStore): Promise<number> {
  if (!queue || !isRedisQueue(queue)) return 0;
  const q = await openJobQueue(queue, store);
  try {
    return await q.relay();
  } finally {
    await q.close();
  }
}
