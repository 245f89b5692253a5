import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { listBranches } from '../../story/branches.js';
import { findStory } from '../../story/find.js';

export async function run(ref: string, opts: { last: string }, g: GlobalOptions): Promise<void> {
  const last = Number(opts.last);
  if (!Number.isInteger(last) || last < 0) throw new UsageError(`--last expects a whole number, found "${opts.last}"`);
  await withStore(g, async (store) => {
    const story = await findStory(store, ref);
    const [turns, total, branches, entities, arcs, jobs] = await Promise.all([
      store.getBranch(story.id, story.headTurnId, { limit: last }),
      store.countTurns(story.id),
      listBranches(store, story),
      store.listEntities(story.id),
      store.listArcSummaries(story.id),
      store.jobCounts(story.id),
    ]);
    // Each branch by its tip: the id `luna turn ID --to` takes to switch to it.
    const branchList = branches.map((b, i) => ({ n: i + 1, tipTurnId: b.leaf.id, turns: b.leaf.depth, lastAction: b.leaf.action, head: b.leaf.id === story.headTurnId }));
    if (g.json) return printJson({ story, turnCount: total, branches: branches.length, branchList, turns, entities, arcs, jobs });
    const out: string[] = [`${story.title}  (${story.id})`, story.premise, ''];
    out.push(`${total} turns, ${branches.length} branch${branches.length === 1 ? '' : 'es'}, ${entities.length} entities, ${arcs.length} summaries; jobs queued ${jobs.queued}, failed ${jobs.failed}`, '');
    if (branches.length > 1) {
      out.push('branches (switch with: luna turn ID --to TIP):');
      for (const b of branchList) out.push(`${b.head ? '*' : ' '} ${String(b.n).padStart(2)}. tip ${b.tipTurnId}  ${b.turns} turns — ${b.lastAction.replace(/\s+/g, ' ').slice(0, 50)}`);
      out.push('');
    }
    for (const t of turns) out.push(`[${t.depth}] ${t.id}`, `> ${t.action}`, t.prose, '');
    process.stdout.write(`${out.join('\n')}\n`);
  });
}
