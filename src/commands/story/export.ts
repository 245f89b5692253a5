import { writeFileSync, renameSync } from 'node:fs';
import { type GlobalOptions, withStore } from '../../cli/context.js';
import { bundleToMarkdown, exportBundle } from '../../story/bundle.js';
import { findStory } from '../../story/find.js';

export async function run(ref: string, opts: { format: 'json' | 'md'; output?: string }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, ref);
    const bundle = await exportBundle(store, story.id);
    const text = opts.format === 'md' ? bundleToMarkdown(bundle) : `${JSON.stringify(bundle, null, 2)}\n`;
    if (!opts.output) return void process.stdout.write(text);
    const tmp = `${opts.output}.tmp-${process.pid}`;
    writeFileSync(tmp, text);
    renameSync(tmp, opts.output);
    process.stderr.write(`exported ${bundle.turns.length} turns${bundle.branches?.length ? ` and ${bundle.branches.length} branches` : ''} to ${opts.output}\n`);
  });
}
