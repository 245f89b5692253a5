import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson } from '../../cli/output.js';
import { addEntity } from '../../memory/ops.js';
import { entityHeader } from '../../memory/render.js';
import type { EntityKind } from '../../store/types.js';
import { findStory } from '../../story/find.js';

export async function run(storyRef: string, name: string, opts: { kind?: string; summary?: string; alias?: string[] }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, storyRef);
    const e = await addEntity(store, story, { name, kind: opts.kind as EntityKind | undefined, description: opts.summary, aliases: opts.alias });
    if (g.json) return printJson(e);
    process.stdout.write(`added ${entityHeader(e)}\n`);
  });
}
