import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { type GlobalOptions, withStore } from '../../cli/context.js';
import { ExitCode, LunaError } from '../../errors.js';
import { bundleToMarkdown, exportBundle } from '../../story/bundle.js';
import { findStory } from '../../story/find.js';
import { checkWritableFile } from '../../util/writable-path.js';

export async function run(ref: string, opts: { format: 'json' | 'md'; output?: string }, g: GlobalOptions): Promise<void> {
  await withStore(g, async (store) => {
    const story = await findStory(store, ref);
    // Checked before building the bundle, so a typo in -o fails fast on a long story.
    const out = opts.output ? checkWritableFile(opts.output, { what: 'export', suggestName: `${story.id}.${opts.format}`, overwrite: true }) : null;
    const bundle = await exportBundle(store, story.id);
    const text = opts.format === 'md' ? bundleToMarkdown(bundle) : `${JSON.stringify(bundle, null, 2)}\n`;
    if (!out) return void process.stdout.write(text);
    writeAtomically(out, text);
    process.stderr.write(`exported ${bundle.turns.length} turns${bundle.branches?.length ? ` and ${bundle.branches.length} branches` : ''} to ${out}\n`);
  });
}

/** Temp file and rename: an existing export is replaced whole or left as it was, never half-written. */
function writeAtomically(out: string, text: string): void {
  const tmp = `${out}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  } catch (err) {
    rmSync(tmp, { force: true });
    // Past the up-front checks this is the disk (full, read-only, permissions changed), not the user's input.
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new LunaError(`cannot write export ${out}: ${code}`, ExitCode.failure, { hint: 'check free space and permissions, or pick another path', cause: err });
  }
}
