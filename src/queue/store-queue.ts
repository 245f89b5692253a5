import { isAbortError, redactSecrets } from '../errors.js';
import type { Store } from '../store/types.js';
import { storeBackoffMs, type JobHandler, type JobQueue, type RunOptions, type RunTally } from './types.js';

/**
 * The embedded default: workers claim rows straight from the store's job table (claimJob/completeJob/failJob).
 * Exactly the behaviour the Dreamer had before the JobQueue interface existed.
 */
export class StoreJobQueue implements JobQueue {
  readonly backend = 'store' as const;
  constructor(private readonly store: Store) {}

  async relay(): Promise<number> {
    return 0;
  }

  async run(handler: JobHandler, opts: RunOptions): Promise<RunTally> {
    const tally: RunTally = { done: 0, failed: 0, retried: 0 };
    const concurrency = Math.max(1, opts.concurrency ?? 1);
    let taken = 0;
    const budgetLeft = () => opts.maxJobs === undefined || taken < opts.maxJobs;
    for (;;) {
      const lanes = Array.from({ length: concurrency }, () => this.lane(handler, opts, tally, () => (budgetLeft() ? (taken++, true) : false)));
      await Promise.all(lanes);
      if (opts.once !== false || opts.signal?.aborted || !budgetLeft()) break;
      await sleep(opts.pollMs ?? 2000, opts.signal);
      if (opts.signal?.aborted) break;
    }
    return tally;
  }

  /** Claims and runs jobs one after another until none is runnable, the budget is spent or the signal aborts. */
  private async lane(handler: JobHandler, opts: RunOptions, tally: RunTally, take: () => boolean): Promise<void> {
    const lockMs = opts.lockMs ?? 120_000;
    const signal = opts.signal ?? new AbortController().signal;
    for (;;) {
      if (signal.aborted || !take()) return;
      const job = await this.store.claimJob(opts.workerId, lockMs);
      if (!job) return;
      try {
        await handler(job, signal);
        await this.store.completeJob(job.id, opts.workerId);
        tally.done++;
        opts.onJob?.(job, 'done');
      } catch (err) {
        if (isAbortError(err) || signal.aborted) {
          // Leave it claimable again right away rather than waiting out the lock.
          await this.store.failJob(job.id, opts.workerId, 'interrupted', 0).catch(() => undefined);
          return;
        }
        const message = redactSecrets(err instanceof Error ? err.message : String(err));
        const after = await this.store.failJob(job.id, opts.workerId, message, storeBackoffMs(job.attempts));
        if (after.state === 'failed') tally.failed++;
        else tally.retried++;
        opts.onJob?.(job, after.state === 'failed' ? 'failed' : 'retry', message);
      }
    }
  }

  async counts(): Promise<null> {
    return null;
  }

  async close(): Promise<void> {}
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
