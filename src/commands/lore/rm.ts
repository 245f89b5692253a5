import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { findStory } from '../../story/find.js';
import { terminalLine } from '../../util/terminal-text.js';
import { findLore } from './shared.js';

export async function run(ref: string, opts: { story: string }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, opts.story);
    const entry = await findLore(store, story.id, ref);
    await store.deleteLore(story.id, entry.id);
    if (g.json) return printJson({ removed: entry.id, title: entry.title });
    process.stdout.write(`removed lore ${entry.id.slice(0, 8)}: ${terminalLine(entry.title)}\n`);
  });
}
