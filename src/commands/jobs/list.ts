import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import type { JobState } from '../../store/types.js';

const STATES = ['queued', 'running', 'done', 'failed'];

export async function run(opts: { story?: string; state?: string; limit: string }, g: GlobalOptions): Promise<void> {
  if (opts.state && !STATES.includes(opts.state)) throw new UsageError(`--state expects one of ${STATES.join(', ')}, found "${opts.state}"`);
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw new UsageError(`--limit expects a whole number, found "${opts.limit}"`);
  await withStore(g, async (store) => {
    const [counts, jobs] = await Promise.all([store.jobCounts(opts.story), store.listJobs({ storyId: opts.story, state: opts.state as JobState | undefined, limit })]);
    if (g.json) return printJson({ counts, jobs });
    process.stdout.write(`queued ${counts.queued} · running ${counts.running} · done ${counts.done} · failed ${counts.failed}\n`);
    if (!jobs.length) return;
    await printTable(
      ['id', 'kind', 'state', 'attempts', 'story', 'updated', 'error'],
      jobs.map((j) => [j.id, j.kind, j.state, `${j.attempts}/${j.maxAttempts}`, j.storyId, j.updatedAt.replace('T', ' ').slice(0, 19), j.lastError ? j.lastError.slice(0, 60) : '']),
    );
  });
}
