import { BusyError, isAbortError, redactSecrets } from '../errors.js';
import type { QueueStore } from '../store/types.js';
import { holderId, holderIsGone } from './holder.js';
import { isPermanentJobError, storeBackoffMs, type JobHandler, type JobQueue, type RunOptions, type RunTally } from './types.js';

/**
 * The embedded default: workers claim rows straight from the store's job table (claimJob/completeJob/failJob).
 * Exactly the behaviour the Dreamer had before the JobQueue interface existed.
 */
export class StoreJobQueue implements JobQueue {
  readonly backend = 'store' as const;
  constructor(private readonly store: QueueStore) {}

  async relay(): Promise<number> {
    return 0;
  }

  async run(handler: JobHandler, opts: RunOptions): Promise<RunTally> {
    const tally: RunTally = { done: 0, failed: 0, retried: 0 };
    const concurrency = Math.max(1, opts.concurrency ?? 1);
    let taken = 0;
    const budgetLeft = () => opts.maxJobs === undefined || taken < opts.maxJobs;
    const holder = holderId(opts.workerId);
    for (;;) {
      await this.reclaimFromGoneWorkers();
      const lanes = Array.from({ length: concurrency }, () => this.lane(handler, { ...opts, workerId: holder }, tally, () => (budgetLeft() ? (taken++, true) : false)));
      await Promise.all(lanes);
      if (opts.once !== false || opts.signal?.aborted || !budgetLeft()) break;
      await sleep(opts.pollMs ?? 2000, opts.signal);
      if (opts.signal?.aborted) break;
    }
    return tally;
  }

  /**
   * Jobs held by a worker process on this host that no longer exists (killed with -9, out of memory) go back
   * to the queue now rather than when their lock expires. Their claim already counted as an attempt, so a
   * job that keeps killing its worker still ends 'failed'. Rows relayed to BullMQ (no lock expiry) are not ours.
   */
  private async reclaimFromGoneWorkers(): Promise<void> {
    const running = await this.store.listJobs({ state: 'running' });
    for (const job of running) {
      if (job.lockedUntil === null || !job.lockedBy || !holderIsGone(job.lockedBy)) continue;
      // failJob checks the holder inside its transaction: if another worker got there first, it throws.
      await this.store.failJob(job.id, job.lockedBy, `its worker ${job.lockedBy} stopped (the process is gone)`, 0).catch(() => undefined);
    }
  }

  /** Claims and runs jobs one after another until none is runnable, the budget is spent or the signal aborts. */
  private async lane(handler: JobHandler, opts: RunOptions, tally: RunTally, take: () => boolean): Promise<void> {
    const lockMs = opts.lockMs ?? 120_000;
    const signal = opts.signal ?? new AbortController().signal;
    for (;;) {
      if (signal.aborted || !take()) return;
      const job = await this.store.claimJob(opts.workerId, lockMs);
      if (!job) return;
      const hold = holdWhileRunning(this.store, job.id, opts.workerId, lockMs, signal);
      try {
        try {
          await handler(job, hold.signal);
        } finally {
          hold.stop();
        }
        if (hold.lost) opts.onWarning?.(takenOver(job.id));
        else {
          await this.store.completeJob(job.id, opts.workerId);
          tally.done++;
          opts.onJob?.(job, 'done');
        }
      } catch (err) {
        // Another worker holds the job now: it is theirs to complete or fail, and this worker goes on.
        if (hold.lost) {
          opts.onWarning?.(takenOver(job.id));
          continue;
        }
        if (isAbortError(err) || signal.aborted) {
          // Leave it claimable again right away rather than waiting out the lock.
          await this.store.failJob(job.id, opts.workerId, 'interrupted', 0).catch(() => undefined);
          return;
        }
        const message = redactSecrets(err instanceof Error ? err.message : String(err));
        const after = await this.store.failJob(job.id, opts.workerId, message, storeBackoffMs(job.attempts), isPermanentJobError(err));
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

/**
 * Renews a running job's lock every third of its length, so a job longer than the lock (a ComfyUI render
 * may run for up to runTimeoutMs, 10 min by default, against a 2 min lock) is not claimed and paid for twice.
 * A renewal that finds the job taken aborts the handler: only one worker may finish it.
 */
const takenOver = (id: string) => `job ${id} was taken over by another worker while it ran (its lock could not be renewed in time); left to that worker`;

function holdWhileRunning(store: QueueStore, id: string, workerId: string, lockMs: number, outer: AbortSignal) {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(outer.reason);
  outer.addEventListener('abort', onAbort, { once: true });
  const state = { lost: false };
  const timer = setInterval(() => {
    store.extendJobLock(id, workerId, lockMs).catch((err: unknown) => {
      if (!(err instanceof BusyError)) return; // a missed renewal is retried at the next tick, well inside the lock
      state.lost = true;
      ctrl.abort(err);
    });
  }, Math.max(50, Math.floor(lockMs / 3)));
  timer.unref();
  return {
    signal: ctrl.signal,
    get lost() {
      return state.lost;
    },
    stop: () => {
      clearInterval(timer);
      outer.removeEventListener('abort', onAbort);
    },
  };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    if (signal?.aborted) return resolve();
    const onAbort = () => (clearTimeout(t), resolve());
    const t = setTimeout(() => (signal?.removeEventListener('abort', onAbort), resolve()), ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
