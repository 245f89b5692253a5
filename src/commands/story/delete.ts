import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { confirm } from '../../cli/prompt.js';
import { findStory } from '../../story/find.js';

export async function run(ref: string, opts: { yes?: boolean }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, ref);
    const turns = await store.countTurns(story.id);
    if (!opts.yes) {
      if (!process.stdin.isTTY) throw new UsageError(`refusing to delete "${story.title}" without confirmation`, { hint: 'pass --yes to delete non-interactively' });
      const ok = await confirm(`Delete "${story.title}" (${story.id}) and its ${turns} turns? This cannot be undone.`);
      if (!ok) {
        process.stderr.write('kept.\n');
        return;
      }
    }
    await store.deleteStory(story.id);
    if (g.json) printJson({ deleted: story.id, turns });
    else process.stdout.write(`deleted ${story.id} (${turns} turns)\n`);
  });
}
