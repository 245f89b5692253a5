import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { UsageError } from '../../errors.js';
import { findStory } from '../../story/find.js';
import type { NewLore } from '../../store/types.js';
import { terminalLine } from '../../util/terminal-text.js';
import { addLoreEntry } from '../../lore/ops.js';
import { loreFromFlags, type LoreFlags } from './shared.js';

export async function run(opts: LoreFlags & { story: string; enable?: boolean; disable?: boolean }, g: GlobalOptions): Promise<void> {
  const entry = loreFromFlags({ ...opts, enabled: enabledFlag(opts) }) as NewLore;
  await withStore(g, async (store) => {
    const story = await findStory(store, opts.story);
    const l = await addLoreEntry(store, story.id, entry);
    if (g.json) return printJson(l);
    process.stdout.write(`added lore ${l.id.slice(0, 8)}: ${terminalLine(l.title)}\n`);
  });
}

export function enabledFlag(o: { enable?: boolean; disable?: boolean }): boolean | undefined {
  if (o.enable && o.disable) throw new UsageError('--enable and --disable contradict each other', { hint: 'give one of them' });
  return o.disable ? false : o.enable ? true : undefined;
}
