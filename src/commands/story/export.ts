import { type GlobalOptions, withStore } from '../../cli/context.js';
import { bundleToMarkdown, exportBundleWithIds } from '../../story/bundle.js';
import { findStory } from '../../story/find.js';
import { imageStoreFor } from '../../images/store.js';
import { markdownImages } from '../../story/images.js';
import { writeUserFile } from '../../util/safe-write.js';
import { cardFormatOf, writeCard } from '../../cards/write.js';
import { checkWritableFile } from '../../util/writable-path.js';
import { plural } from '../../util/plural.js';

export async function run(ref: string, opts: { format: 'json' | 'md' | 'card'; output?: string; images?: 'link' | 'inline' | 'none' }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store, loaded) => {
    const story = await findStory(store, ref);
    // Checked before building the bundle, so a typo in -o fails fast on a long story.
    const out = opts.output ? checkWritableFile(opts.output, { what: 'export', suggestName: `${story.id}.${opts.format === 'card' ? 'png' : opts.format}`, overwrite: true }) : null;
    const { bundle, ids } = await exportBundleWithIds(store, story.id);
    if (opts.format === 'card') {
      // The file name picks the container: .png (SillyTavern's usual), .charx, else V3 JSON.
      const format = cardFormatOf(out ?? undefined);
      const bytes = writeCard(bundle, format);
      if (!out) return void process.stdout.write(bytes);
      writeUserFile(out, bytes, { what: 'export' });
      process.stderr.write(`exported "${story.title}" as a Character Card V3 ${format === 'json' ? 'JSON' : format.toUpperCase()} to ${out}\n`);
      return;
    }
    let text: string;
    if (opts.format === 'md') {
      const mode = opts.images ?? 'link';
      const images = mode === 'none' ? undefined : await markdownImages(store, imageStoreFor(loaded), story.id, ids, { mode, outFile: out });
      for (const w of images?.warnings ?? []) process.stderr.write(`warning: ${w}\n`);
      text = bundleToMarkdown(bundle, { images });
    } else text = `${JSON.stringify(bundle, null, 2)}\n`;
    if (!out) return void process.stdout.write(text);
    writeUserFile(out, text, { what: 'export' });
    process.stderr.write(`exported ${plural(bundle.turns.length, 'turn')}${bundle.branches?.length ? ` and ${plural(bundle.branches.length, 'other branch', 'other branches')}` : ''} to ${out}\n`);
  });
}
