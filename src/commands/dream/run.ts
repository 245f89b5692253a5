import { hostname } from 'node:os';
import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';

export async function run(opts: { once?: boolean; poll: string; worker?: string }, g: GlobalOptions): Promise<void> {
  const poll = Number(opts.poll);
  if (!Number.isFinite(poll) || poll < 50) throw new UsageError(`--poll expects milliseconds ≥ 50, found "${opts.poll}"`);
  const workerId = opts.worker ?? `${hostname()}:${process.pid}`;
  await withStore(g, async (store, loaded) => {
    const { createSession } = await import('../../runtime/session.js');
    const { drainJobs } = await import('../../pipeline/dreamer.js');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const session = await createSession(store, loaded, { signal: controller.signal });
    const total = { done: 0, failed: 0, retried: 0 };
    try {
      for (;;) {
        const r = await drainJobs(session.deps, {
          workerId,
          onJob: (job, outcome, error) => {
            if (!g.json) process.stderr.write(`${outcome.padEnd(6)} ${job.kind} ${job.id}${error ? `: ${error}` : ''}\n`);
          },
        });
        total.done += r.done;
        total.failed += r.failed;
        total.retried += r.retried;
        if (opts.once || controller.signal.aborted) break;
        await new Promise<void>((res) => {
          const t = setTimeout(res, poll);
          controller.signal.addEventListener('abort', () => (clearTimeout(t), res()), { once: true });
        });
        if (controller.signal.aborted) break;
      }
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      await session.close();
    }
    if (g.json) printJson({ workerId, ...total });
    else process.stdout.write(`dreamer ${workerId}: ${total.done} done, ${total.retried} to retry, ${total.failed} failed\n`);
  });
}
