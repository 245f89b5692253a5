import type { Job } from '../store/types.js';

/**
 * The Dreamer's durable queue, whatever carries it. Jobs are always born in the store's job table (written by
 * commitTurn in the turn's own transaction: a transactional outbox); a backend decides how they reach workers.
 * BullMQ's Worker is callback-based, so both backends take a handler and call it once per attempt.
 */

export type QueueBackend = 'store' | 'bullmq';
export type JobOutcome = 'done' | 'failed' | 'retry';

/** Does the work of one attempt. Throwing fails the attempt (retried with backoff until maxAttempts). */
export type JobHandler = (job: Job, signal: AbortSignal) => Promise<void>;

export interface RunOptions {
  workerId: string;
  /** Jobs processed at the same time by this worker (default 1). */
  concurrency?: number;
  /**
   * true (default): process what is runnable now and return (`luna dream --once`, in-process Dreamer).
   * false: keep running, polling/blocking for new work, until `signal` aborts.
   */
  once?: boolean;
  /** Stop after this many attempts (store backend; BullMQ stops taking new jobs once reached). */
  maxJobs?: number;
  /** How long a worker holds a job before another may take it over (its lock). */
  lockMs?: number;
  /** Idle poll interval when `once` is false (store backend; also how often the BullMQ relay looks at the outbox). */
  pollMs?: number;
  signal?: AbortSignal;
  onJob?: (job: Job, outcome: JobOutcome, error?: string) => void;
  /** Trouble the worker rides out by itself (a Redis reconnect, a relay tick that failed). */
  onWarning?: (message: string) => void;
}

export interface RunTally {
  done: number;
  failed: number;
  retried: number;
}

/** Counts as the backend itself sees them (BullMQ: waiting, active, delayed, failed, completed, …). */
export type BackendCounts = Record<string, number>;

export interface JobQueue {
  readonly backend: QueueBackend;
  /**
   * Hands committed outbox rows to the backend; returns how many rows it handed over.
   * Idempotent and safe from many processes at once. The store backend has nothing to hand over (0).
   */
  relay(): Promise<number>;
  run(handler: JobHandler, opts: RunOptions): Promise<RunTally>;
  /** Backend counts for `luna jobs`; null when the store's own counts are the whole story. */
  counts(): Promise<BackendCounts | null>;
  close(): Promise<void>;
}

/** Exponential backoff with jitter, as the store backend has always done it (2 s, 4 s, 8 s … ≤ 5 min). */
export function storeBackoffMs(attempts: number): number {
  return Math.min(300_000, 2000 * 2 ** attempts) * (0.5 + Math.random() / 2);
}

/**
 * A failure no retry can fix (ComfyUI refusing the workflow with node_errors): the queue marks the job failed
 * at once instead of spending its remaining attempts. Any error with `permanent: true` counts.
 */
export function isPermanentJobError(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { permanent?: unknown }).permanent === true;
}
