import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { findEntity, parseTurnNumber, removeFact } from '../../memory/ops.js';
import { factRowText } from '../../memory/render.js';
import { findStory } from '../../story/find.js';
import { terminalLine } from '../../util/terminal-text.js';

export async function run(storyRef: string, name: string, key: string, opts: { from?: string }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const from = parseTurnNumber(opts.from);
    const story = await findStory(store, storyRef);
    const entity = await findEntity(store, story, name);
    const line = await removeFact(store, story, entity, key, from);
    if (g.json) return printJson(line);
    process.stdout.write(`${terminalLine(entity.name)}: ${factRowText(line)}\n`);
  });
}
