import { hostname } from 'node:os';
import { debugLog, type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';

export async function run(opts: { once?: boolean; poll: string; worker?: string }, g: GlobalOptions): Promise<void> {
  const poll = Number(opts.poll);
  if (!Number.isFinite(poll) || poll < 50) throw new UsageError(`--poll expects milliseconds ≥ 50, found "${opts.poll}"`);
  const workerId = opts.worker ?? `${hostname()}:${process.pid}`;
  await withStore(g, async (store, loaded) => {
    const { createSession } = await import('../../runtime/session.js');
    const { drainJobs } = await import('../../pipeline/dreamer.js');
    const { openJobQueue } = await import('../../queue/open.js');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    // `store` claims rows from the job table; `redis://…` relays the outbox to BullMQ and works from there.
    const queue = await openJobQueue(loaded.config.queue, store);
    const session = await createSession(store, loaded, { signal: controller.signal, debug: debugLog(g) });
    let total = { done: 0, failed: 0, retried: 0 };
    try {
      total = await drainJobs(session.deps, {
        workerId,
        queue,
        once: Boolean(opts.once),
        pollMs: poll,
        onJob: (job, outcome, error) => {
          if (!g.json) process.stderr.write(`${outcome.padEnd(6)} ${job.kind} ${job.id}${error ? `: ${error}` : ''}\n`);
        },
        onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      });
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await queue.close();
      await session.close();
    }
    if (g.json) printJson({ workerId, queue: queue.backend, ...total });
    else process.stdout.write(`dreamer ${workerId}: ${total.done} done, ${total.retried} to retry, ${total.failed} failed\n`);
  });
}
