import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { decideProposals, pendingProposals } from '../../memory/ops.js';
import { turnLabel } from '../../memory/render.js';
import { describeChange } from '../../store/memory-changes.js';
import { findStory } from '../../story/find.js';
import { terminalLine } from '../../util/terminal-text.js';

interface ReviewFlags { accept?: string[]; reject?: string[]; acceptAll?: boolean; rejectAll?: boolean }

export async function run(storyRef: string, opts: ReviewFlags, g: GlobalOptions): Promise<void> {
  const given = [opts.accept, opts.reject, opts.acceptAll, opts.rejectAll].filter((v) => v !== undefined && v !== false).length;
  if (given > 1) throw new UsageError('give one of --accept, --reject, --accept-all, --reject-all', { hint: 'run it twice to accept some and reject others' });
  await withStore(g, async (store) => {
    const story = await findStory(store, storyRef);
    if (given === 0) {
      const list = await pendingProposals(store, story);
      if (g.json) return printJson(list);
      if (!list.length) {
        process.stdout.write(`story ${story.id} has no memory changes waiting for review\n`);
        return;
      }
      await printTable(['id', 'turn', 'origin', 'change'], list.map((p) => [p.id.slice(0, 8), turnLabel(p.turn), p.origin, terminalLine(p.text)]));
      return;
    }
    const accept = Boolean(opts.accept || opts.acceptAll);
    const ids = opts.acceptAll || opts.rejectAll ? 'all' : (opts.accept ?? opts.reject)!;
    const done = await decideProposals(store, story, ids, accept);
    if (g.json) return printJson(done);
    const verb = accept ? 'accepted' : 'rejected';
    if (!done.length) process.stdout.write(`nothing was pending: no change ${verb}\n`);
    for (const p of done) process.stdout.write(`${verb} ${p.id.slice(0, 8)}: ${terminalLine(describeChange(p.change))}\n`);
  });
}
