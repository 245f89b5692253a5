import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { removeEntity } from '../../memory/ops.js';
import { findStory } from '../../story/find.js';
import { terminalLine } from '../../util/terminal-text.js';

export async function run(storyRef: string, name: string, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, storyRef);
    const { entity, factsRemoved } = await removeEntity(store, story, name);
    if (g.json) return printJson({ removed: entity.id, name: entity.name, factsRemoved });
    process.stdout.write(`removed ${terminalLine(entity.name)} and its ${factsRemoved} fact row${factsRemoved === 1 ? '' : 's'} (history included)\n`);
  });
}
