import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, printTable } from '../../cli/output.js';
import { findStory } from '../../story/find.js';
import { terminalLine } from '../../util/terminal-text.js';
import { ruleSummary } from './shared.js';

export async function run(opts: { story: string }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, opts.story);
    const lore = await store.listLore(story.id);
    if (g.json) return printJson(lore);
    if (!lore.length) {
      process.stdout.write(`story ${story.id} has no lore yet. Add some: luna lore add --story ${story.id} --title "…" --body "…", or luna lore import FILE --story ${story.id}\n`);
      return;
    }
    const cut = (s: string, n: number) => terminalLine(s.length > n ? `${s.slice(0, n - 1)}…` : s);
    await printTable(
      ['id', 'title', 'keys', 'order', 'rules'],
      lore.map((l) => [l.id.slice(0, 8), cut(l.title, 32), cut(l.keywords.join(', ') || `(title)`, 32), l.order, cut(ruleSummary(l), 40)]),
      { align: ['left', 'left', 'left', 'right', 'left'] },
    );
  });
}
