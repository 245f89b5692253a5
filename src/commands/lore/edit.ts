import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { findStory } from '../../story/find.js';
import { terminalLine } from '../../util/terminal-text.js';
import { editLoreEntry } from '../../lore/ops.js';
import { enabledFlag } from './add.js';
import { findLore, loreFromFlags, type LoreFlags } from './shared.js';

export async function run(ref: string, opts: LoreFlags & { story: string; enable?: boolean; disable?: boolean }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, opts.story);
    const entry = await findLore(store, story.id, ref);
    const patch = loreFromFlags({ ...opts, enabled: enabledFlag(opts) }, entry);
    if (!Object.keys(patch).length) throw new UsageError('nothing to change', { hint: 'give the flags to change, e.g. --body "…" or --probability 50 (luna lore edit --help)' });
    const l = await editLoreEntry(store, story.id, entry, patch);
    if (g.json) return printJson(l);
    process.stdout.write(`updated lore ${l.id.slice(0, 8)}: ${terminalLine(l.title)} (${Object.keys(patch).join(', ')})\n`);
  });
}
