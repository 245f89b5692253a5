import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { mergeEntities } from '../../memory/ops.js';
import { entityHeader } from '../../memory/render.js';
import { findStory } from '../../story/find.js';
import { terminalLine } from '../../util/terminal-text.js';

export async function run(storyRef: string, from: string, into: string, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, storyRef);
    const e = await mergeEntities(store, story, from, into);
    if (g.json) return printJson(e);
    process.stdout.write(`merged ${terminalLine(from)} into ${entityHeader(e)}\n`);
  });
}
