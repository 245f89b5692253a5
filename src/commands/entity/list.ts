import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { entityListing } from '../../memory/ops.js';
import { findStory } from '../../story/find.js';
import { terminalLine } from '../../util/terminal-text.js';

export async function run(storyRef: string, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, storyRef);
    const list = await entityListing(store, story);
    if (g.json) return printJson(list);
    if (!list.length) {
      process.stdout.write(`story ${story.id} has no entities yet: they appear as turns are played (or: luna entity add ${story.id} NAME)\n`);
      return;
    }
    const cut = (s: string, n: number) => terminalLine(s.length > n ? `${s.slice(0, n - 1)}…` : s);
    // "from": who recorded it (the plan, the Dreamer, the player, an import); luna entity show says where.
    await printTable(['name', 'kind', 'aliases', 'facts', 'from', 'summary'],
      list.map((e) => [cut(e.name, 28), e.kind, cut(e.aliases.join(', '), 28), e.facts, e.origin ?? 'plan', cut(e.description, 40)]),
      { align: ['left', 'left', 'left', 'right', 'left', 'left'] });
  });
}
