import { Queue, UnrecoverableError, WaitingError, Worker, type ConnectionOptions, type Job as BullJob } from 'bullmq';
import { ConfigError, DatabaseError, redactSecrets } from '../errors.js';
import type { Job, JobKind, QueueStore } from '../store/types.js';
import { connectRedis, type RedisClient } from './redis-client.js';
import type { RedisQueueSettings } from './redis-url.js';
import { isPermanentJobError, type BackendCounts, type JobHandler, type JobQueue, type RunOptions, type RunTally } from './types.js';

/** Who holds a store row once the relay handed it to BullMQ (the row's lockedBy). */
export const RELAY_OWNER = 'bullmq';
const RELAY_BATCH = 500;

/** What travels in Redis: enough to rebuild the store's Job without a read (the row stays the source of truth). */
interface BullData {
  kind: JobKind;
  storyId: string;
  turnId: string | null;
  payload: Record<string, unknown>;
  maxAttempts: number;
  /** Attempts the row had used before it was relayed (e.g. under the store backend). */
  baseAttempts: number;
  createdAt: string;
}

type StoreWithOutbox = QueueStore & Required<Pick<QueueStore, 'markJobsRelayed' | 'mirrorJob'>>;

/**
 * Dreamer jobs over Redis with BullMQ. BullMQ does the hard parts: locks renewed while a handler runs, stalled-job
 * detection (a killed worker's job goes back to wait once its lock expires), exponential backoff, jobId dedup.
 * This class only relays the store's outbox rows into BullMQ and mirrors outcomes back onto those rows.
 */
/** Prefix of the UnrecoverableError a permanent job failure becomes (see isPermanentJobError). */
const PERMANENT = 'permanent failure: ';

export class BullJobQueue implements JobQueue {
  readonly backend = 'bullmq' as const;
  private constructor(
    private readonly store: StoreWithOutbox,
    readonly settings: RedisQueueSettings,
    private readonly client: RedisClient,
    readonly queue: Queue,
  ) {}

  static async open(store: QueueStore, settings: RedisQueueSettings): Promise<BullJobQueue> {
    if (!store.markJobsRelayed || !store.mirrorJob) {
      throw new ConfigError(`the ${store.dialect} store cannot feed a redis queue yet (it lacks markJobsRelayed/mirrorJob)`, {
        hint: 'use queue: store with this database for now',
      });
    }
    const client = await connectRedis(settings);
    const queue = new Queue(settings.name, { connection: client as unknown as ConnectionOptions, prefix: settings.prefix });
    queue.on('error', () => undefined); // surfaced by the awaited calls instead
    return new BullJobQueue(store as StoreWithOutbox, settings, client, queue);
  }

  /**
   * Publishes every queued outbox row, then marks the rows relayed. Publishing first means a crash in between
   * only causes a second publish, which BullMQ ignores because the store job id is the BullMQ jobId.
   */
  async relay(): Promise<number> {
    let total = 0;
    for (;;) {
      const rows = await this.store.listJobs({ state: 'queued', limit: RELAY_BATCH });
      if (!rows.length) break;
      await this.publish(rows);
      const marked = await this.store.markJobsRelayed(rows.map((r) => r.id), RELAY_OWNER);
      total += marked.length;
      if (rows.length < RELAY_BATCH || !marked.length) break;
    }
    return total;
  }

  /**
   * Publishes again every row the store says BullMQ holds. Rows whose job still exists are untouched (same
   * jobId); rows whose job Redis lost (a restart without persistence, a flush) get it back with the attempts
   * they had left. Workers run it when they start.
   */
  async republishInFlight(): Promise<number> {
    const held = (await this.store.listJobs({ state: 'running' })).filter((r) => r.lockedBy === RELAY_OWNER);
    for (let i = 0; i < held.length; i += RELAY_BATCH) await this.publish(held.slice(i, i + RELAY_BATCH));
    return held.length;
  }

  /** Adds rows to BullMQ under their store ids; a row already there (in any state) is left as it is. */
  async publish(rows: Job[]): Promise<void> {
    if (rows.length) await this.queue.addBulk(rows.map((r) => this.toBull(r)));
  }

  private toBull(row: Job): { name: string; data: BullData; opts: Record<string, unknown> } {
    const keep = { age: Math.ceil(this.settings.keepMs / 1000) };
    return {
      name: row.kind,
      data: { kind: row.kind, storyId: row.storyId, turnId: row.turnId, payload: row.payload, maxAttempts: row.maxAttempts, baseAttempts: row.attempts, createdAt: row.createdAt },
      opts: {
        jobId: row.id,
        attempts: Math.max(1, row.maxAttempts - row.attempts),
        backoff: { type: 'exponential', delay: this.settings.backoffMs, jitter: 0.5 },
        delay: Math.max(0, Date.parse(row.runAfter) - Date.now()),
        // Finished jobs stay for keepMs: while they exist a republish of the same id is a no-op.
        removeOnComplete: keep,
        removeOnFail: keep,
      },
    };
  }

  async run(handler: JobHandler, opts: RunOptions): Promise<RunTally> {
    const tally: RunTally = { done: 0, failed: 0, retried: 0 };
    const stop = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
    if (signal.aborted) return tally;
    await this.republishInFlight();
    await this.relay();
    let started = 0;
    const worker = new Worker<BullData>(
      this.settings.name,
      async (bj, token) => {
        started++;
        if (opts.maxJobs !== undefined && started >= opts.maxJobs) stop.abort();
        await this.process(bj, token, handler, opts, tally, opts.signal);
      },
      {
        connection: this.client as unknown as ConnectionOptions,
        prefix: this.settings.prefix,
        concurrency: opts.concurrency ?? this.settings.concurrency,
        lockDuration: opts.lockMs ?? this.settings.lockMs,
        stalledInterval: opts.lockMs ?? this.settings.lockMs,
        // Worker deaths are not attempts: a job is failed only when its worker dies a third time running it.
        maxStalledCount: 2,
        autorun: false,
        // Seconds a fetch blocks on an empty queue: short for --once so "nothing left" is noticed quickly.
        drainDelay: opts.once === false ? 5 : 1,
        name: opts.workerId,
      },
    );
    // Connection blips: BullMQ reconnects by itself; without a listener an 'error' event would crash the process.
    const warn = (what: string) => (err: unknown) => opts.onWarning?.(`${what}: ${redactSecrets(err instanceof Error ? err.message : String(err))}`);
    worker.on('error', warn('redis worker'));
    // A job whose workers keep dying is failed by BullMQ itself ("stalled more than allowable limit") without
    // reaching the processor, so mirror that failure here.
    worker.on('failed', (bj, err) => {
      if (!bj || err?.name !== 'UnrecoverableError' || err.message.startsWith(PERMANENT)) return;
      const lastError = redactSecrets(err.message);
      void this.store.mirrorJob(String(bj.id), { state: 'failed', attempts: bj.data.baseAttempts + Math.max(1, bj.attemptsMade), lastError }).catch(warn('mirror'));
      tally.failed++;
    });
    if (opts.once !== false) worker.once('drained', () => stop.abort());
    const relayTimer = opts.once === false ? setInterval(() => void this.relay().catch(warn('outbox relay')), opts.pollMs ?? 2000) : null;
    const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    let failure: unknown;
    void worker.run().catch((err: unknown) => { failure = err; stop.abort(); });
    try {
      await stopped;
    } finally {
      if (relayTimer) clearInterval(relayTimer);
      // Waits for active handlers; an aborted one hands its job back to wait (see process()).
      await worker.close();
    }
    if (failure) throw new DatabaseError(`the redis queue at ${this.settings.display} failed: ${redactSecrets(String((failure as Error).message ?? failure))}`, { cause: failure });
    return tally;
  }

  private async process(bj: BullJob<BullData>, token: string | undefined, handler: JobHandler, opts: RunOptions, tally: RunTally, outer?: AbortSignal): Promise<void> {
    const d = bj.data;
    const attempt = d.baseAttempts + bj.attemptsMade + 1;
    const now = new Date().toISOString();
    const job: Job = {
      id: String(bj.id), kind: d.kind, storyId: d.storyId, turnId: d.turnId, payload: d.payload,
      state: 'running', attempts: attempt, maxAttempts: d.maxAttempts, runAfter: new Date(bj.timestamp + (bj.delay ?? 0)).toISOString(),
      lockedBy: opts.workerId, lockedUntil: null, lastError: null, createdAt: d.createdAt, updatedAt: now,
    };
    const signal = outer ?? new AbortController().signal;
    try {
      await handler(job, signal);
    } catch (err) {
      if (signal.aborted) {
        // Shutting down: hand the job back without spending an attempt.
        await bj.moveToWait(token);
        throw new WaitingError();
      }
      const message = redactSecrets(err instanceof Error ? err.message : String(err));
      const permanent = isPermanentJobError(err);
      const final = permanent || bj.attemptsMade + 1 >= (bj.opts.attempts ?? 1);
      await this.store.mirrorJob(job.id, { state: final ? 'failed' : 'running', attempts: attempt, lastError: message });
      if (final) tally.failed++;
      else tally.retried++;
      opts.onJob?.(job, final ? 'failed' : 'retry', message);
      // Already mirrored and counted above: the 'failed' listener skips errors marked PERMANENT.
      if (permanent) throw new UnrecoverableError(`${PERMANENT}${message}`);
      throw new Error(message);
    }
    await this.store.mirrorJob(job.id, { state: 'done', attempts: attempt, lastError: null });
    tally.done++;
    opts.onJob?.(job, 'done');
  }

  async counts(): Promise<BackendCounts> {
    try {
      return await this.queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'completed', 'prioritized');
    } catch (err) {
      throw new DatabaseError(`cannot read queue counts from ${this.settings.display}: ${redactSecrets((err as Error).message)}`);
    }
  }

  /** Deletes the whole queue from Redis (tests, operators resetting a deployment). */
  async obliterate(): Promise<void> {
    await this.queue.obliterate({ force: true });
  }

  async close(): Promise<void> {
    await this.queue.close().catch(() => undefined);
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
