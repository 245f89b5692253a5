import { type GlobalOptions, withStore } from '../../cli/context.js';
import { printJson, progress } from '../../cli/output.js';
import { FORMAT_NAMES, parseJsonText, type LorebookImport } from '../../lore/import.js';
import { importLorebook } from '../../lore/ops.js';
import { findStory } from '../../story/find.js';
import { plural } from '../../util/plural.js';
import { readInputFile } from '../../util/read-input.js';
import { terminalLine } from '../../util/terminal-text.js';

export const LOREBOOK_MAX_BYTES = 64 * 1024 * 1024;

export async function run(file: string, opts: { story: string; replace?: boolean; allowDuplicates?: boolean; dryRun?: boolean }, g: GlobalOptions): Promise<void> {
  const text = readInputFile(file, LOREBOOK_MAX_BYTES, 'a lorebook').toString('utf8');
  await withStore(g, async (store) => {
    const story = await findStory(store, opts.story);
    const raw = parseJsonText(text, file);
    const p = await progress(`importing lore from ${file}…`, { json: g.json });
    const { book, written } = await importLorebook(store, story.id, raw, file, opts).finally(() => p.stop());
    if (g.json) return printJson({ storyId: story.id, format: book.format, name: book.name ?? null, imported: written.length, dryRun: Boolean(opts.dryRun), replaced: Boolean(opts.replace), notes: book.notes, ids: written.map((l) => l.id) });
    process.stdout.write(`${opts.dryRun ? 'would import' : 'imported'} ${plural(book.entries.length, 'lore entry', 'lore entries')} from ${FORMAT_NAMES[book.format]} ${file} into story ${story.id}${opts.replace && !opts.dryRun ? ' (replacing its lore)' : ''}\n`);
    printNotes(book);
  });
}

/** Per entry, what LUNA keeps differently or cannot express: nothing is dropped without a word. */
export function printNotes(book: LorebookImport): void {
  if (!book.notes.length) return;
  const byEntry = new Set(book.notes.map((n) => n.entry)).size;
  process.stdout.write(`${plural(book.notes.length, 'note')} on ${plural(byEntry, 'entry', 'entries')} (what LUNA keeps differently or cannot express):\n`);
  for (const n of book.notes) process.stdout.write(`  entry ${n.entry} "${terminalLine(n.title)}": ${terminalLine(n.note)}\n`);
}
