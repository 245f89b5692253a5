import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { entitySheet, findEntity } from '../../memory/ops.js';
import { entitySheetLines } from '../../memory/render.js';
import { findStory } from '../../story/find.js';

export async function run(storyRef: string, name: string, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, storyRef);
    const sheet = await entitySheet(store, story, await findEntity(store, story, name));
    if (g.json) return printJson(sheet);
    process.stdout.write(`${entitySheetLines(sheet.entity, sheet.facts, sheet.firstTurn).join('\n')}\n`);
  });
}
