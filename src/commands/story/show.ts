import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { findStory } from '../../story/find.js';

export async function run(ref: string, opts: { last: string }, g: GlobalOptions): Promise<void> {
  const last = Number(opts.last);
  if (!Number.isInteger(last) || last < 0) throw new UsageError(`--last expects a whole number, found "${opts.last}"`);
  await withStore(g, async (store) => {
    const story = await findStory(store, ref);
    const [turns, total, leaves, entities, arcs, jobs] = await Promise.all([
      store.getBranch(story.id, story.headTurnId, { limit: last }),
      store.countTurns(story.id),
      store.listLeaves(story.id),
      store.listEntities(story.id),
      store.listArcSummaries(story.id),
      store.jobCounts(story.id),
    ]);
    if (g.json) return printJson({ story, turnCount: total, branches: leaves.length, turns, entities, arcs, jobs });
    const out: string[] = [`${story.title}  (${story.id})`, story.premise, ''];
    out.push(`${total} turns, ${leaves.length} branch${leaves.length === 1 ? '' : 'es'}, ${entities.length} entities, ${arcs.length} summaries; jobs queued ${jobs.queued}, failed ${jobs.failed}`, '');
    for (const t of turns) out.push(`[${t.depth}] ${t.id}`, `> ${t.action}`, t.prose, '');
    process.stdout.write(`${out.join('\n')}\n`);
  });
}
