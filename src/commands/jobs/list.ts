import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { holderIsGone } from '../../queue/holder.js';
import { checkRef } from '../../story/find.js';
import type { JobState, Store } from '../../store/types.js';

const STATES = ['queued', 'running', 'done', 'failed'];

export async function run(opts: { story?: string; state?: string; limit: string }, g: GlobalOptions): Promise<void> {
  if (opts.state && !STATES.includes(opts.state)) throw new UsageError(`--state expects one of ${STATES.join(', ')}, found "${opts.state}"`);
  if (opts.story !== undefined) checkRef(opts.story, 'story');
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit expects a whole number, found "${opts.limit}"`);
  await withStore(g, async (store, loaded) => {
    const [counts, jobs, bullmq] = await Promise.all([
      store.jobCounts(opts.story),
      store.listJobs({ storyId: opts.story, state: opts.state as JobState | undefined, limit }),
      backendCounts(loaded.config.queue, store),
    ]);
    if (g.json) return printJson(bullmq ? { counts, jobs, bullmq } : { counts, jobs });
    process.stdout.write(`queued ${counts.queued} · running ${counts.running} · done ${counts.done} · failed ${counts.failed}\n`);
    if (bullmq) process.stdout.write(`bullmq: waiting ${bullmq.waiting ?? 0} · active ${bullmq.active ?? 0} · delayed ${bullmq.delayed ?? 0} · failed ${bullmq.failed ?? 0} · completed ${bullmq.completed ?? 0}\n`);
    if (!jobs.length) return;
    await printTable(
      ['id', 'kind', 'state', 'attempts', 'story', 'updated', 'error'],
      // A holder killed on this host shows as such: the next worker takes its job back.
      jobs.map((j) => [j.id, j.kind, j.state === 'running' && j.lockedUntil !== null && j.lockedBy && holderIsGone(j.lockedBy) ? 'running (worker gone)' : j.state, `${j.attempts}/${j.maxAttempts}`, j.storyId, j.updatedAt.replace('T', ' ').slice(0, 19), j.lastError ? j.lastError.slice(0, 60) : '']),
    );
  });
}

/** With a redis queue the store's 'running' also covers jobs waiting in BullMQ, so show BullMQ's own split. */
async function backendCounts(queue: string, store: Store): Promise<Record<string, number> | null> {
  const { isRedisQueue } = await import('../../queue/redis-url.js');
  if (!isRedisQueue(queue)) return null;
  const { openJobQueue } = await import('../../queue/open.js');
  const q = await openJobQueue(queue, store);
  try {
    return await q.counts();
  } finally {
    await q.close();
  }
}
